-- Issue 18, point 12: drugs and suppliers are national master data shared by every consortium, so their writes
-- belong to a role of their own, master_data_admin, whose tokens are bound to no consortium (consortium_id NULL).
-- Every other role's token keeps its consortium. Point 13: the reason an item was removed from a catalogue draft.

ALTER TABLE api_tokens ALTER COLUMN consortium_id DROP NOT NULL;

-- The role list. 'finance' is the lead's role of the same issue (invoices and payments): listed here too so that
-- whichever of the two migrations runs last keeps both roles.
ALTER TABLE api_tokens DROP CONSTRAINT IF EXISTS api_tokens_role_check;

ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_role_check
    CHECK (role IN ('consortium_admin', 'institution_pharmacist', 'procurement_officer', 'prescriber', 'regulator',
                    'auditor', 'finance', 'master_data_admin'));

-- A national token names no consortium (and so no institution); every other token names its consortium.
-- Existing tokens all have a consortium and none is master_data_admin, so they satisfy it as they are.
ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_national_role_has_no_consortium
    CHECK ((role = 'master_data_admin') = (consortium_id IS NULL) AND (consortium_id IS NOT NULL OR institution_id IS NULL));

-- The audit trail of every consortium shows the changes to national master data: the audit query includes every
-- row of entity type drug or supplier, whoever made it (consortium_id is NULL for those made by master_data_admin,
-- the consortium's id for those a consortium admin made before this migration; audit_log is append-only, so they
-- stay as they are). The index audit_log_entity (entity_type, entity_key, id) serves that half of the query.

-- Removing an item from a catalogue draft records why (issue 18, point 13). The item row itself is deleted from
-- the draft; its removal stays here and in the audit trail.
CREATE TABLE catalogue_item_removals (
    consortium_id  bigint NOT NULL,
    id             bigint GENERATED ALWAYS AS IDENTITY,
    version_number integer NOT NULL,
    drug_code      text NOT NULL REFERENCES drugs (code),
    reason         text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
    removed_by     bigint REFERENCES api_tokens (id),
    removed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, version_number) REFERENCES catalogue_versions (consortium_id, number)
);
CREATE INDEX catalogue_item_removals_version ON catalogue_item_removals (consortium_id, version_number, drug_code);
