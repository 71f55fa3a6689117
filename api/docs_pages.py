"""/docs (Swagger UI) and /redoc served offline: their JS/CSS come from the pinned fastapi-offline package, served by
the API under /docs-assets, so the pages name no CDN."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse

ASSETS_URL = "/docs-assets"
# swagger-ui-bundle.js, swagger-ui.css, redoc.standalone.js and favicon.png, as the package ships them.
ASSETS_DIR = Path(str(files("fastapi_offline") / "static"))
# No "validate this document" badge: Swagger UI would send the OpenAPI URL to its online validator.
SWAGGER_PARAMETERS = {"validatorUrl": None}
# Images from the API alone: ReDoc's sidebar credit would fetch its logo from the vendor's CDN (offline it fails
# and ReDoc hides it); with this policy the browser does not even try.
PAGE_HEADERS = {"Content-Security-Policy": "img-src 'self' data:"}


def install_docs(app: FastAPI, *, openapi_url: str = "/openapi.json") -> None:
    """Adds /docs, its OAuth2 redirect page, /redoc and the assets they load (no authentication, as before: the
    document describes the routes, the routes themselves need the token)."""
    app.mount(ASSETS_URL, StaticFiles(directory=ASSETS_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_swagger_ui_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - Swagger UI",
            swagger_js_url=f"{root}{ASSETS_URL}/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{ASSETS_URL}/swagger-ui.css",
            swagger_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            oauth2_redirect_url=f"{root}/docs/oauth2-redirect",
            swagger_ui_parameters=SWAGGER_PARAMETERS,
        )
        page.headers.update(PAGE_HEADERS)
        return page

    @app.get("/docs/oauth2-redirect", include_in_schema=False)
    async def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    async def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        page = get_redoc_html(
            openapi_url=f"{root}{openapi_url}",
            title=f"{app.title} - ReDoc",
            redoc_js_url=f"{root}{ASSETS_URL}/redoc.standalone.js",
            redoc_favicon_url=f"{root}{ASSETS_URL}/favicon.png",
            with_google_fonts=False,
        )
        page.headers.update(PAGE_HEADERS)
        return page
