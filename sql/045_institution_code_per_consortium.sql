-- A member's code is unique within its consortium, not across the province (issue 28, "past one primary"): two
-- consortia may each have a "CHC-01", and a table distributed by consortium can only keep a unique key that holds
-- the distribution column. Every lookup by code is made within the caller's consortium (the token's, the console
-- session's, or the consortium a CLI command names).
ALTER TABLE institutions ADD CONSTRAINT institutions_consortium_id_code_key UNIQUE (consortium_id, code);
ALTER TABLE institutions DROP CONSTRAINT institutions_code_key;

-- The same for its id: the key is (consortium_id, id), the one every foreign key to a member already names. The
-- primary key on id alone goes (an identity keeps ids distinct anyway); a plain index keeps the joins by id alone.
ALTER TABLE institutions DROP CONSTRAINT institutions_pkey;
CREATE INDEX institutions_id ON institutions (id);
ALTER TABLE institutions REPLICA IDENTITY USING INDEX institutions_consortium_id_id_key;
