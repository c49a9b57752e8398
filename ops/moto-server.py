"""Starts moto's server (the S3-compatible server the tests, the demo and the benchmarks use)
with one fix: the URL moto checks signatures against keeps the query string as the client sent
it. Werkzeug rebuilds `request.url` with `%2F` decoded to `/`, so moto computed a different
canonical query than any correct SigV4 client (boto3 included) for a listing with a prefix such
as `branch/backups/`, and refused it with SignatureDoesNotMatch.

    INITIAL_NO_AUTH_ACTION_COUNT=0 python3 ops/moto-server.py -H 127.0.0.1 -p PORT
"""
import sys

from werkzeug.sansio import request as sansio_request
from werkzeug.sansio.utils import get_current_url


def _url_with_raw_query(self):
    base = get_current_url(self.scheme, self.host, self.root_path, self.path)
    query = self.query_string.decode("latin-1")
    return f"{base}?{query}" if query else base


sansio_request.Request.url = property(_url_with_raw_query)

from moto.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
