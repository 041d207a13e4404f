-- Hospital preparations (医疗机构制剂) and their transfer between members (调剂使用): the producer's
-- preparation licence, each preparation's registration, the regulator's approvals (or the consortium's standing
-- scope where the province allows it), shipments against them and receipts.

-- A drug's code with its category, so a preparation can only ever be a drug of category hospital_preparation
-- (and such a drug cannot change category under it).
ALTER TABLE drugs ADD CONSTRAINT drugs_code_category_key UNIQUE (code, category);

-- 医疗机构制剂许可证: held per institution, valid five years; a renewal is a new row.
CREATE TABLE preparation_licences (
    consortium_id  bigint NOT NULL REFERENCES consortia (id),
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    institution_id bigint NOT NULL,
    licence_number text NOT NULL CHECK (length(licence_number) BETWEEN 1 AND 100),
    valid_from     date NOT NULL,
    valid_to       date NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CHECK (valid_to >= valid_from),
    CHECK (valid_to < valid_from + interval '5 years'),
    UNIQUE (consortium_id, institution_id, licence_number),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);

-- A preparation of one producer in one consortium, with its registration number (制剂批准文号, valid to a
-- date) or filing number (备案号, for TCM preparations by traditional processes; no expiry of its own).
CREATE TABLE hospital_preparations (
    consortium_id           bigint NOT NULL REFERENCES consortia (id),
    drug_code               text NOT NULL,
    drug_category           text NOT NULL DEFAULT 'hospital_preparation' CHECK (drug_category = 'hospital_preparation'),
    producer_institution_id bigint NOT NULL,
    registration_kind       text NOT NULL CHECK (registration_kind IN ('approval_number', 'filing_number')),
    registration_number     text NOT NULL CHECK (length(registration_number) BETWEEN 1 AND 100),
    registration_valid_to   date,
    -- reimbursed like the receiving area's own preparations (Jilin policy) when listed
    reimbursable            boolean NOT NULL DEFAULT false,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, drug_code),
    UNIQUE (consortium_id, drug_code, producer_institution_id),
    UNIQUE (consortium_id, registration_number),
    CHECK (registration_kind = 'filing_number' OR registration_valid_to IS NOT NULL),
    FOREIGN KEY (drug_code, drug_category) REFERENCES drugs (code, category),
    FOREIGN KEY (consortium_id, producer_institution_id) REFERENCES institutions (consortium_id, id)
);

-- The regulator's consent to a transfer (or the consortium's standing scope): one preparation, its producer as
-- the supplier, the receivers, a quantity in the preparation's unit and a period.
CREATE TABLE transfer_approvals (
    consortium_id           bigint NOT NULL REFERENCES consortia (id),
    id                      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                    text NOT NULL CHECK (kind IN ('regulator_approval', 'standing_scope')),
    authority               text CHECK (length(authority) BETWEEN 1 AND 200),
    document_number         text CHECK (length(document_number) BETWEEN 1 AND 100),
    document_date           date,
    drug_code               text NOT NULL,
    supplier_institution_id bigint NOT NULL,
    approved_quantity       numeric(14, 4) NOT NULL CHECK (approved_quantity > 0),
    unit                    text NOT NULL CHECK (length(unit) BETWEEN 1 AND 20),
    -- kept with every shipment in the same transaction: the database's own guard against over-shipping
    shipped_quantity        numeric(14, 4) NOT NULL DEFAULT 0,
    -- [valid_from, valid_to], both days included
    valid_from              date NOT NULL,
    valid_to                date NOT NULL,
    created_at              timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT transfer_approvals_within_quantity CHECK (shipped_quantity >= 0 AND shipped_quantity <= approved_quantity),
    CHECK (valid_to >= valid_from),
    CHECK (kind <> 'regulator_approval'
           OR (authority IS NOT NULL AND document_number IS NOT NULL AND document_date IS NOT NULL)),
    UNIQUE (consortium_id, id),
    UNIQUE (consortium_id, authority, document_number, drug_code),
    -- the supplier is the preparation's producer
    FOREIGN KEY (consortium_id, drug_code, supplier_institution_id)
        REFERENCES hospital_preparations (consortium_id, drug_code, producer_institution_id),
    FOREIGN KEY (consortium_id, supplier_institution_id) REFERENCES institutions (consortium_id, id)
);
CREATE INDEX transfer_approvals_valid_to ON transfer_approvals (consortium_id, valid_to);

-- The designated receivers (指定的医疗机构), members of the same consortium.
CREATE TABLE transfer_approval_receivers (
    consortium_id  bigint NOT NULL,
    approval_id    bigint NOT NULL,
    institution_id bigint NOT NULL,
    PRIMARY KEY (approval_id, institution_id),
    FOREIGN KEY (consortium_id, approval_id) REFERENCES transfer_approvals (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id)
);

-- A lot shipped against an approval to one of its receivers.
CREATE TABLE transfer_shipments (
    consortium_id            bigint NOT NULL,
    id                       bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    approval_id              bigint NOT NULL,
    receiver_institution_id  bigint NOT NULL,
    lot_number               text NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 50),
    production_date          date NOT NULL,
    expiry_date              date NOT NULL,
    quantity                 numeric(14, 4) NOT NULL CHECK (quantity > 0),
    shipped_on               date NOT NULL,
    created_at               timestamptz NOT NULL DEFAULT now(),
    CHECK (expiry_date > production_date),
    CHECK (expiry_date > shipped_on),
    CHECK (shipped_on >= production_date),
    UNIQUE (consortium_id, id),
    FOREIGN KEY (consortium_id, approval_id) REFERENCES transfer_approvals (consortium_id, id),
    -- only to a receiver named on the approval
    FOREIGN KEY (approval_id, receiver_institution_id) REFERENCES transfer_approval_receivers (approval_id, institution_id)
);
CREATE INDEX transfer_shipments_approval ON transfer_shipments (approval_id);

-- What arrived, once per shipment. A shortfall or an excess is kept as the discrepancy, not refused.
CREATE TABLE transfer_receipts (
    consortium_id     bigint NOT NULL,
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    shipment_id       bigint NOT NULL UNIQUE,
    received_on       date NOT NULL,
    quantity_received numeric(14, 4) NOT NULL CHECK (quantity_received >= 0),
    -- quantity_received minus the quantity shipped: negative a shortfall, positive an excess
    discrepancy       numeric(14, 4) NOT NULL,
    condition         text NOT NULL CHECK (condition IN ('intact', 'damaged', 'temperature_excursion', 'other')),
    note              text CHECK (length(note) <= 500),
    created_at        timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (consortium_id, shipment_id) REFERENCES transfer_shipments (consortium_id, id)
);
