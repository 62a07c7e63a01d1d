/* util_string.h (host shim) - on the host the C library provides memset and friends, so this
 * stands in for lib/util_string.h (whose lib/string.c would clash with libc). */
#pragma once

#include <string.h>
