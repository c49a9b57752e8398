-- Digests that see which row holds which value (issue 31): each dump records the rule its
-- table_digests were taken by, so a drill reads the restored rows by the same rule. Version 1
-- (issue 27's sum of hash_record_extended) missed values swapped between rows and hashed float
-- 0, numeric NaN/±Infinity and jsonb {} / [] like NULL; version 2 mixes each row's hash before
-- the sum and hashes float, numeric, jsonb and interval columns by their text. Dumps with
-- digests made before this column are version 1; dumps without digests stay NULL (counts only).

ALTER TABLE backup_history ADD COLUMN digest_version smallint CHECK (digest_version IN (1, 2));

UPDATE backup_history SET digest_version = 1 WHERE table_digests IS NOT NULL;

COMMENT ON COLUMN backup_history.digest_version IS 'how table_digests were taken: 1 = sum of hash_record_extended per row (misses values swapped between rows), 2 = each row''s hash mixed before the sum, float/numeric/jsonb/interval by their text; NULL when the dump has no digests';
