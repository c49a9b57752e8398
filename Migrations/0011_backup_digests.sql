-- Restore drills that prove content (issue 27): beside each table's row count, a digest of its
-- rows taken in the dump's snapshot. A drill computes the same digests on the restored database
-- and fails naming each table whose digest differs. Dumps made before this column have none and
-- are drilled on their counts alone.

ALTER TABLE backup_history ADD COLUMN table_digests jsonb;

COMMENT ON COLUMN backup_history.table_digests IS 'per table, the sum modulo 2^64 of a 64-bit hash of each row (of its stored values, or of its text form for uncommon column types), 16 hex digits, taken in the snapshot the dump was made from';
