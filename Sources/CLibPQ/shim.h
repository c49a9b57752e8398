// libpq, for streaming COPY … TO STDOUT (postgres-nio reads COPY only in the other direction).
#include <postgresql/libpq-fe.h>
