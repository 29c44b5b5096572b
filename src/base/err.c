/* err.c - descriptions of rill's error codes (layer: base). */
#include "base/err.h"

#include <string.h>

const char *err_str(int err)
{
    switch (err) {
    case 0:
        return "success";
    case ERR_CORRUPT:
        return "corrupt data";
    case ERR_FAILED:
        return "failed after an I/O error; reopen to recover";
    case ERR_NOT_FOUND:
        return "not found";
    case ERR_EXISTS:
        return "already exists";
    case ERR_INVALID:
        return "invalid argument";
    case ERR_TOO_LARGE:
        return "too large";
    case ERR_RANGE:
        return "out of range";
    case ERR_PARSE:
        return "parse error";
    case ERR_UNSUPPORTED:
        return "not supported";
    case ERR_CLOSED:
        return "closed";
    case ERR_TIMEOUT:
        return "timed out";
    case ERR_AGAIN:
        return "try again";
    case ERR_DUPLICATE:
        return "duplicate";
    case ERR_SEQUENCE:
        return "out of sequence";
    default:
        break;
    }
    if (err < 0 && err > -4096)
        return strerror(-err);
    return "unknown error";
}
