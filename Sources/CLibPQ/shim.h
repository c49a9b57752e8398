// libpq: the worker's claim connection (prepared statements at a tenth of postgres-nio's
// client CPU per row) and streaming COPY … TO STDOUT (postgres-nio reads COPY only the other way).
#include <postgresql/libpq-fe.h>
