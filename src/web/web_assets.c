/* web_assets.c - the dashboard's files, embedded in the binary (layer:
 * web).
 *
 * src/web/assets/ holds the page as plain files (no build step, no CDN);
 * the assembler's .incbin copies them into this object, so `rill serve`
 * serves them with no file at run time. The Makefile makes this object
 * depend on the asset files.
 */
#include <string.h>

#include "web/web_int.h"

#define ASSET(sym, path)                                                       \
    __asm__(".section .rodata\n"                                               \
            ".global " #sym "_start\n"                                         \
            ".balign 16\n" #sym "_start:\n"                                    \
            ".incbin \"" path "\"\n"                                           \
            ".global " #sym "_end\n" #sym "_end:\n"                            \
            ".byte 0\n"                                                        \
            ".previous\n");                                                    \
    extern const char sym##_start[], sym##_end[]

ASSET(rill_asset_index, "src/web/assets/index.html");
ASSET(rill_asset_app, "src/web/assets/app.js");
ASSET(rill_asset_css, "src/web/assets/style.css");

static const struct {
    const char *path;
    const char *ctype;
    const char *start, *end;
} assets[] = {
    {"/", "text/html; charset=utf-8", rill_asset_index_start,
     rill_asset_index_end},
    {"/index.html", "text/html; charset=utf-8", rill_asset_index_start,
     rill_asset_index_end},
    {"/app.js", "text/javascript; charset=utf-8", rill_asset_app_start,
     rill_asset_app_end},
    {"/style.css", "text/css; charset=utf-8", rill_asset_css_start,
     rill_asset_css_end},
};

bool web_assets_get(struct http_conn *c, const char *path)
{
    for (size_t i = 0; i < sizeof assets / sizeof assets[0]; i++)
        if (!strcmp(path, assets[i].path)) {
            http_respond(c, 200, assets[i].ctype, assets[i].start,
                         (size_t)(assets[i].end - assets[i].start));
            return true;
        }
    return false;
}
