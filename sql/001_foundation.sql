-- Foundation: consortia, institutions, suppliers, drugs, settings, tokens and the audit log.
-- Every table holding a consortium's data carries consortium_id, the future distribution key.

CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gist;

CREATE TABLE consortia (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code         text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{1,31}$'),
    name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    -- 城市医疗集团, 县域医共体, 专科联盟, 中医区域医联体, 远程医疗协作网
    kind         text NOT NULL CHECK (kind IN ('city_medical_group', 'county_medical_community',
                                               'specialty_alliance', 'tcm_regional_consortium',
                                               'telemedicine_network')),
    lead_institution_id bigint,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE institutions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consortium_id bigint NOT NULL REFERENCES consortia (id),
    code          text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{1,31}$'),
    name          text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    level         text NOT NULL CHECK (level IN ('tertiary', 'secondary', 'primary', 'village')),
    type          text NOT NULL CHECK (type IN ('general', 'tcm', 'integrated_tcm_western', 'maternal_child',
                                                'specialty', 'community_health_centre', 'township_hospital',
                                                'village_clinic')),
    -- 中药饮片鉴别检测能力: a lab that identifies and tests decoction pieces
    has_testing_lab boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (consortium_id, id)
);

-- The lead belongs to the consortium it leads.
ALTER TABLE consortia
    ADD CONSTRAINT consortia_lead_fk FOREIGN KEY (id, lead_institution_id)
    REFERENCES institutions (consortium_id, id) DEFERRABLE INITIALLY DEFERRED;

-- Manufacturers and distributors (配送企业) are national master data, shared by every consortium.
CREATE TABLE suppliers (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code            text NOT NULL UNIQUE CHECK (code ~ '^[A-Z0-9][A-Z0-9_-]{1,31}$'),
    name            text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    is_manufacturer boolean NOT NULL DEFAULT false,
    is_distributor  boolean NOT NULL DEFAULT false,
    -- 药品生产许可证 / 药品经营许可证
    manufacturing_licence text,
    distribution_licence  text,
    -- A manufacturer's wholly-owned sales company, or an importer's national general agent,
    -- counts as that manufacturer under the two-invoice rule (两票制).
    counts_as_manufacturer_id bigint REFERENCES suppliers (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (is_manufacturer OR is_distributor),
    CHECK (NOT is_manufacturer OR manufacturing_licence IS NOT NULL),
    CHECK (NOT is_distributor OR distribution_licence IS NOT NULL)
);

-- Editions of the national essential medicines list (国家基本药物目录): data, so a new one loads without code.
CREATE TABLE essential_list_editions (
    edition        text PRIMARY KEY CHECK (edition ~ '^[0-9]{4}$'),
    effective_from date NOT NULL,
    item_count     integer CHECK (item_count > 0),
    note           text
);

CREATE TABLE drugs (
    code          text PRIMARY KEY CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$'),
    generic_name  text NOT NULL CHECK (length(generic_name) BETWEEN 1 AND 200),
    name_en       text,
    dosage_form   text NOT NULL CHECK (length(dosage_form) BETWEEN 1 AND 50),
    strength      text,
    package_size  integer NOT NULL CHECK (package_size > 0),
    package_unit  text NOT NULL CHECK (length(package_unit) BETWEEN 1 AND 20),
    -- the dispensing unit quantities are counted in (片, 粒, ml, g, kg …)
    unit          text NOT NULL CHECK (length(unit) BETWEEN 1 AND 20),
    manufacturer  text,
    atc_code      text CHECK (atc_code ~ '^[A-Z][0-9]{2}([A-Z]([A-Z]([0-9]{2})?)?)?$'),
    category      text NOT NULL CHECK (category IN ('western', 'chinese_patent', 'decoction_piece',
                                                    'hospital_preparation')),
    -- 医保目录 甲/乙
    insurance_class text NOT NULL DEFAULT 'none' CHECK (insurance_class IN ('A', 'B', 'none')),
    control_class text NOT NULL DEFAULT 'none' CHECK (control_class IN ('none', 'narcotic', 'psychotropic_i',
                                                        'psychotropic_ii', 'medical_toxic', 'radioactive',
                                                        'precursor_chemical')),
    antimicrobial boolean NOT NULL DEFAULT false,
    cold_chain    boolean NOT NULL DEFAULT false,
    -- decoction pieces (中药饮片): herb, processing (炮制) and grade (统货 or a selected grade)
    herb_name     text,
    processing    text CHECK (processing IN ('raw', 'stir_fried', 'honey_fried', 'wine_processed',
                                             'vinegar_processed', 'salt_processed', 'steamed', 'charred',
                                             'bran_fried', 'ginger_processed', 'calcined', 'other')),
    grade         text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK ((category = 'decoction_piece') = (herb_name IS NOT NULL AND processing IS NOT NULL AND grade IS NOT NULL)),
    CHECK (category <> 'decoction_piece' OR unit IN ('g', 'kg'))
);
CREATE INDEX drugs_generic_name_trgm ON drugs USING gin (generic_name gin_trgm_ops);
CREATE INDEX drugs_name_en_trgm ON drugs USING gin (lower(name_en) gin_trgm_ops);
CREATE INDEX drugs_category_code ON drugs (category, code);
CREATE INDEX drugs_atc ON drugs (atc_code);

CREATE TABLE drug_essential_editions (
    drug_code text NOT NULL REFERENCES drugs (code),
    edition   text NOT NULL REFERENCES essential_list_editions (edition),
    PRIMARY KEY (drug_code, edition)
);
CREATE INDEX drug_essential_editions_edition ON drug_essential_editions (edition);

-- Policy numbers (RULES.md settings): national defaults, with effective dates, seeded from seeds/.
CREATE TABLE policy_defaults (
    key            text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]*$'),
    value          text NOT NULL,
    effective_from date NOT NULL,
    source         text NOT NULL,
    PRIMARY KEY (key, effective_from)
);

-- A consortium's own value of a setting, overriding the default from its effective date.
CREATE TABLE consortium_settings (
    consortium_id  bigint NOT NULL REFERENCES consortia (id),
    key            text NOT NULL CHECK (key ~ '^[a-z][a-z0-9_]*$'),
    value          text NOT NULL,
    effective_from date NOT NULL,
    PRIMARY KEY (consortium_id, key, effective_from)
);

CREATE TABLE api_tokens (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consortium_id  bigint NOT NULL REFERENCES consortia (id),
    institution_id bigint,
    role           text NOT NULL CHECK (role IN ('consortium_admin', 'institution_pharmacist', 'procurement_officer',
                                                 'prescriber', 'regulator', 'auditor')),
    name           text NOT NULL DEFAULT '' CHECK (length(name) <= 200),
    -- SHA-256 of the token; the token itself is shown once and never stored.
    token_hash     bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at     timestamptz NOT NULL DEFAULT now(),
    expires_at     timestamptz,
    revoked_at     timestamptz,
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);

-- Every change, written in the transaction that makes it. Rows are never updated nor deleted.
CREATE TABLE audit_log (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    consortium_id bigint REFERENCES consortia (id),
    occurred_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_token_id bigint REFERENCES api_tokens (id),
    actor         text NOT NULL,
    actor_role    text,
    action        text NOT NULL,
    entity_type   text NOT NULL,
    entity_key    text NOT NULL,
    before        jsonb,
    after         jsonb
);
CREATE INDEX audit_log_consortium_time ON audit_log (consortium_id, occurred_at, id);
CREATE INDEX audit_log_entity ON audit_log (entity_type, entity_key, id);

CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

-- Idempotency keys for POSTs that must not double (orders, prescriptions): the first result is kept.
CREATE TABLE idempotency_keys (
    consortium_id  bigint NOT NULL REFERENCES consortia (id),
    token_id       bigint NOT NULL REFERENCES api_tokens (id),
    key            text NOT NULL CHECK (length(key) BETWEEN 1 AND 200),
    operation      text NOT NULL,
    request_hash   bytea NOT NULL,
    response_status integer NOT NULL,
    response_body  jsonb NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, token_id, operation, key)
);
