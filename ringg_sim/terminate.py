"""PATCH campaign/terminate on the simulator's state: by campaign, by numbers within a campaign or across all,
by call ids, or by agent (D-term-*: only calls registered or waiting for a retry are cancelled)."""

from __future__ import annotations

from ringg_sim.csvcheck import parse_phone_list
from ringg_sim.lifecycle import Launch
from ringg_sim.state import SimState


def terminate(
    state: SimState,
    *,
    campaign_id: str | None,
    mobile_numbers: list[str] | None,
    call_ids: list[str] | None,
    agent_id: str | None,
) -> int:
    now = state.now()
    launches: list[Launch]
    if campaign_id is not None:
        c = state.get(campaign_id)
        launches = list(c.launches)
    elif agent_id is not None and not mobile_numbers and not call_ids:
        launches = [ln for ln in state.launches if ln.agent_id == agent_id]
    else:
        launches = list(state.launches)
    cancelled = 0
    if call_ids:
        by_seq = {ln.seq: ln for ln in launches}
        per_launch: dict[int, list[int]] = {}
        for cid in call_ids:
            found = find_call(state, cid)
            if found is not None and found[0].seq in by_seq:
                per_launch.setdefault(found[0].seq, []).append(found[1])
        for seq, idx in per_launch.items():
            cancelled += by_seq[seq].cancel_pending(now, sorted(set(idx)))
    elif mobile_numbers:
        wanted = parse_phone_list(mobile_numbers)
        for ln in launches:
            nums = state.campaigns[ln.list_id].contacts.numbers
            idx = [i for i, number in enumerate(nums) if number in wanted]
            if idx:
                cancelled += ln.cancel_pending(now, idx)
    else:
        for ln in launches:
            cancelled += ln.cancel_pending(now)
        if campaign_id is not None:
            c = state.campaigns[campaign_id]
            c.terminated = bool(c.launches)
            for ln in c.launches:
                ln.terminated = True
            c.wall_updated = state.wall()
    state.now()  # collect the refunds
    state.terminations.append(
        {
            "campaign_id": campaign_id,
            "agent_id": agent_id,
            "mobile_numbers_count": len(mobile_numbers or []),
            "call_ids_count": len(call_ids or []),
            "cancelled": cancelled,
        }
    )
    return cancelled


def find_call(state: SimState, call_id: str) -> tuple[Launch, int] | None:
    hexed = call_id.replace("-", "").lower()
    if len(hexed) != 32:
        return None
    try:
        seq, idx = int(hexed[:8], 16), int(hexed[8:16], 16)
    except ValueError:
        return None
    ln = state.by_seq.get(seq)
    if ln is None or idx >= ln.n or ln.call_id(idx) != call_id.lower():
        return None
    return ln, idx
