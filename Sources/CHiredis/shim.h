// hiredis 0.14 (Debian's libhiredis-dev): the blocking client API. Only the argv forms
// are used: the variadic `redisCommand` cannot be called from Swift.
#include <hiredis/hiredis.h>
