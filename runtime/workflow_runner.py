"""How the worker runs workflow code: Temporal's sandbox, with this project's own `workflows` package passed through.

The sandbox imports a workflow's modules afresh for every run it keeps in memory, which costs ~0.3 MB a run for
`CampaignWorkflow` (its 16 modules' code objects and classes): ~150 MB for a worker holding 500 campaigns.
Passed through, a run costs ~0.01 MB. It is safe because nothing in `workflows/` keeps state at module or class
level and its code reads no clock, randomness, file or network; `tests/test_workflow_determinism.py` holds every
module to that, statically, on every `make test` (the sandbox's own check would only have fired at run time, and
only for the literal code of `workflows/`: `contract`, `domain` and the libraries were already passed through).
The sandbox's other restrictions stay on for everything it still imports."""

from __future__ import annotations

from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

PASSED_THROUGH = ("workflows",)


def workflow_runner() -> SandboxedWorkflowRunner:
    return SandboxedWorkflowRunner(restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSED_THROUGH))
