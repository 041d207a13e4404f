-- Issue 23 (first part): one patient across the consortium, prescribers bound to their tokens, extended
-- prescriptions with central distribution (延伸处方, 集中配送) and the national insurance e-prescription record.
-- The rules (the state machine, eligibility, supply on hand, deadlines, fulfilment, links, the record's status and
-- its void) are RxDomain's `ExtendedPrescriptionRules`, `PatientLinkRules` and `EPrescriptionRecord`;
-- docs/features/extended-prescriptions.md. Does not depend on 021.

-- The consortium patient index (患者主索引): a consortium pseudonym, and each member's pseudonym linked to one of
-- them on a stated basis. Never a name nor an ID number: pseudonyms as the contract's PatientRef, and not shaped
-- like an 18-character resident ID card number. Linking is audited by the use case.
CREATE TABLE consortium_patients (
    consortium_id bigint NOT NULL REFERENCES consortia (id),
    pseudonym     text NOT NULL CHECK (pseudonym ~ '^[A-Za-z0-9_-]{1,64}$' AND pseudonym !~ '^[0-9]{17}[0-9Xx]$'),
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, pseudonym)
);

CREATE TABLE patient_links (
    consortium_id        bigint NOT NULL,
    institution_id       bigint NOT NULL,
    -- the member's own pseudonym, the patient_ref of its prescriptions
    member_pseudonym     text NOT NULL
                         CHECK (member_pseudonym ~ '^[A-Za-z0-9_-]{1,64}$' AND member_pseudonym !~ '^[0-9]{17}[0-9Xx]$'),
    consortium_pseudonym text NOT NULL,
    -- `PatientLinkBasis`
    basis                text NOT NULL
                         CHECK (basis IN ('insurance_card', 'health_card', 'referral', 'family_doctor_contract')),
    linked_by            bigint REFERENCES api_tokens (id),
    linked_at            timestamptz NOT NULL DEFAULT now(),
    -- one link per member pseudonym
    PRIMARY KEY (consortium_id, institution_id, member_pseudonym),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, consortium_pseudonym) REFERENCES consortium_patients (consortium_id, pseudonym)
);
-- A patient's pseudonyms at every member.
CREATE INDEX patient_links_patient ON patient_links (consortium_id, consortium_pseudonym);

-- A prescriber token names its prescriber, of the token's own institution; tokens made before stay unbound.
ALTER TABLE prescribers ADD CONSTRAINT prescribers_institution_id UNIQUE (consortium_id, institution_id, id);

ALTER TABLE api_tokens ADD COLUMN prescriber_id bigint;

ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_prescriber
    FOREIGN KEY (consortium_id, institution_id, prescriber_id) REFERENCES prescribers (consortium_id, institution_id, id);

ALTER TABLE api_tokens ADD CONSTRAINT api_tokens_prescriber_role
    CHECK (prescriber_id IS NULL OR (role = 'prescriber' AND institution_id IS NOT NULL));

-- Dispatch, delivery, collection and return of an extended prescription are stock movements of their own document.
ALTER TABLE stock_movements DROP CONSTRAINT stock_movements_document_type_check;

ALTER TABLE stock_movements ADD CONSTRAINT stock_movements_document_type_check
    CHECK (document_type IN ('opening', 'delivery', 'stock_transfer', 'preparation_transfer', 'count', 'dispensing',
                             'patient_return', 'destruction', 'supplier_return', 'donation', 'extended_prescription',
                             'other'));

-- An extended prescription: issued at the patient's institution, reviewed and dispatched by the dispensing one (the
-- supply centre or the upper hospital), collected at the collecting one (or delivered home, to an address
-- reference, never the address itself). Each state has its stamps and nothing later (the CHECKs below); the
-- state moves are `ExtendedPrescriptionRules.move`.
CREATE TABLE extended_prescriptions (
    consortium_id             bigint NOT NULL,
    id                        bigint GENERATED ALWAYS AS IDENTITY,
    institution_id            bigint NOT NULL,
    prescriber_id             bigint NOT NULL,
    patient_ref               text NOT NULL CHECK (patient_ref ~ '^[A-Za-z0-9_-]{1,64}$'),
    dispensing_institution_id bigint NOT NULL,
    dispatch_location_id      bigint,
    collecting_institution_id bigint NOT NULL,
    delivery                  text NOT NULL DEFAULT 'institution' CHECK (delivery IN ('institution', 'home')),
    home_address_ref          text CHECK (home_address_ref ~ '^[A-Za-z0-9_-]{1,64}$'),
    -- a chronic-disease drug: checked as a long prescription, its supply counts as supply on hand
    chronic                   boolean NOT NULL,
    -- the business date it counts on (late entry: up to prescription_late_entry_days back)
    business_date             date NOT NULL,
    state                     text NOT NULL DEFAULT 'requested'
                              CHECK (state IN ('requested', 'approved', 'refused', 'dispatched', 'delivered',
                                               'collected', 'not_collected', 'cancelled')),
    issued_by                 bigint REFERENCES api_tokens (id),
    issued_at                 timestamptz NOT NULL DEFAULT now(),
    reviewed_by               bigint REFERENCES api_tokens (id),
    reviewed_at               timestamptz,
    -- 审方不通过: shown to the prescriber
    refusal_reason            text CHECK (length(btrim(refusal_reason)) BETWEEN 1 AND 1000),
    -- approval + extended_rx_delivery_deadline_hours
    delivery_due_at           timestamptz,
    dispatched_by             bigint REFERENCES api_tokens (id),
    dispatched_at             timestamptz,
    delivered_by              bigint REFERENCES api_tokens (id),
    delivered_at              timestamptz,
    -- delivery + extended_rx_collection_deadline_days
    collect_by                date,
    collected_by              bigint REFERENCES api_tokens (id),
    collected_at              timestamptz,
    not_collected_at          timestamptz,
    cancelled_by              bigint REFERENCES api_tokens (id),
    cancelled_at              timestamptz,
    cancel_reason             text CHECK (length(btrim(cancel_reason)) BETWEEN 1 AND 1000),
    -- The e-prescription record (`EPrescriptionRecord`): rxTraceCode, hiRxno, valiDays and valid-to, reptFlag,
    -- maxReptCnt, reptdCnt, minInrvDays, rxCotnFlag and initRxno, longRxFlag; voided locally and revoked at the
    -- insurance platform in one step.
    rx_trace_code             text NOT NULL CHECK (length(rx_trace_code) = 20),
    hi_rxno                   text CHECK (length(hi_rxno) BETWEEN 1 AND 30),
    vali_days                 integer NOT NULL CHECK (vali_days > 0),
    vali_end_date             date GENERATED ALWAYS AS (business_date + vali_days) STORED,
    rept_flag                 boolean NOT NULL DEFAULT false,
    max_rept_cnt              integer NOT NULL DEFAULT 0 CHECK (max_rept_cnt >= 0),
    reptd_cnt                 integer NOT NULL DEFAULT 0,
    min_inrv_days             integer NOT NULL DEFAULT 0 CHECK (min_inrv_days >= 0),
    rx_cotn_flag              boolean NOT NULL DEFAULT false,
    init_rxno                 text CHECK (length(init_rxno) BETWEEN 1 AND 30),
    long_rx_flag              boolean NOT NULL,
    voided_at                 timestamptz,
    void_reason               text CHECK (length(btrim(void_reason)) BETWEEN 1 AND 1000),
    revoked_at                timestamptz,
    PRIMARY KEY (consortium_id, id),
    UNIQUE (consortium_id, rx_trace_code),
    FOREIGN KEY (consortium_id, institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, institution_id, prescriber_id) REFERENCES prescribers (consortium_id, institution_id, id),
    FOREIGN KEY (consortium_id, dispensing_institution_id) REFERENCES institutions (consortium_id, id),
    FOREIGN KEY (consortium_id, dispensing_institution_id, dispatch_location_id)
        REFERENCES stock_locations (consortium_id, institution_id, id),
    FOREIGN KEY (consortium_id, collecting_institution_id) REFERENCES institutions (consortium_id, id),
    CHECK (dispensing_institution_id <> institution_id),
    CHECK ((delivery = 'home') = (home_address_ref IS NOT NULL)),
    -- each state its stamps: reviewed from approved on (a cancelled one may or may not have been)
    CHECK (CASE state WHEN 'requested' THEN reviewed_at IS NULL WHEN 'cancelled' THEN true
                      ELSE reviewed_at IS NOT NULL END),
    CHECK ((refusal_reason IS NOT NULL) = (state = 'refused')),
    CHECK ((delivery_due_at IS NOT NULL) = (reviewed_at IS NOT NULL AND state <> 'refused')),
    CHECK (CASE WHEN state IN ('dispatched', 'delivered', 'collected', 'not_collected') THEN dispatched_at IS NOT NULL
                WHEN state = 'cancelled' THEN true ELSE dispatched_at IS NULL END),
    CHECK (CASE WHEN state IN ('delivered', 'collected', 'not_collected') THEN delivered_at IS NOT NULL
                WHEN state = 'cancelled' THEN true ELSE delivered_at IS NULL END),
    CHECK ((collected_at IS NOT NULL) = (state = 'collected')),
    CHECK ((not_collected_at IS NOT NULL) = (state = 'not_collected')),
    CHECK ((cancelled_at IS NOT NULL) = (state = 'cancelled')),
    CHECK ((cancel_reason IS NOT NULL) = (state = 'cancelled')),
    -- and in their order
    CHECK (dispatched_at IS NULL OR (reviewed_at IS NOT NULL AND dispatched_at >= reviewed_at)),
    CHECK (delivered_at IS NULL OR (dispatched_at IS NOT NULL AND delivered_at >= dispatched_at)),
    CHECK ((collect_by IS NOT NULL) = (delivered_at IS NOT NULL)),
    CHECK (collected_at IS NULL OR collected_at >= delivered_at),
    CHECK (not_collected_at IS NULL OR (not_collected_at AT TIME ZONE 'Asia/Shanghai')::date > collect_by),
    CHECK (reviewed_at IS NULL OR reviewed_at >= issued_at),
    -- the e-prescription's own rules
    CHECK (reptd_cnt BETWEEN 0 AND max_rept_cnt),
    CHECK (rept_flag OR max_rept_cnt = 0),
    CHECK (rx_cotn_flag = (init_rxno IS NOT NULL)),
    -- a void carries the insurance revoke (one step) and its reason; a revoke alone is the platform's
    CHECK (voided_at IS NULL OR (revoked_at IS NOT NULL AND void_reason IS NOT NULL)),
    CHECK ((void_reason IS NULL) = (voided_at IS NULL))
);
-- The queues: a member's issued ones, the dispensing side's review and dispatch queue, the collecting side's
-- arrivals, and a patient's prescriptions.
CREATE INDEX extended_prescriptions_issuer ON extended_prescriptions (consortium_id, institution_id, state);
CREATE INDEX extended_prescriptions_dispensing ON extended_prescriptions (consortium_id, dispensing_institution_id, state);
CREATE INDEX extended_prescriptions_collecting ON extended_prescriptions (consortium_id, collecting_institution_id, state);
CREATE INDEX extended_prescriptions_patient ON extended_prescriptions (consortium_id, institution_id, patient_ref);

-- The lines: a drug with its quantity (in the drug's unit), days, and the e-prescription's line fields (medListCodg;
-- the in-house code is drug_code).
CREATE TABLE extended_prescription_lines (
    consortium_id        bigint NOT NULL,
    prescription_id      bigint NOT NULL,
    line_no              integer NOT NULL CHECK (line_no > 0),
    drug_code            text NOT NULL REFERENCES drugs (code),
    quantity             numeric(14, 4) NOT NULL CHECK (quantity > 0),
    unit                 text NOT NULL CHECK (length(unit) BETWEEN 1 AND 20),
    days                 integer NOT NULL CHECK (days BETWEEN 1 AND 366),
    med_list_codg        text CHECK (length(med_list_codg) BETWEEN 1 AND 50),
    hospital_preparation boolean NOT NULL DEFAULT false,
    PRIMARY KEY (consortium_id, prescription_id, line_no),
    UNIQUE (consortium_id, prescription_id, drug_code),
    FOREIGN KEY (consortium_id, prescription_id) REFERENCES extended_prescriptions (consortium_id, id)
);
CREATE INDEX extended_prescription_lines_drug ON extended_prescription_lines (consortium_id, drug_code);

-- What was dispatched, by lot (FEFO unless a lot was named), with the stock movement out of the dispensing stock.
CREATE TABLE extended_prescription_lots (
    consortium_id   bigint NOT NULL,
    prescription_id bigint NOT NULL,
    line_no         integer NOT NULL,
    lot_number      text NOT NULL CHECK (length(lot_number) BETWEEN 1 AND 50),
    lot_key         text GENERATED ALWAYS AS (lot_key(lot_number)) STORED CHECK (lot_key <> ''),
    expiry_date     date NOT NULL,
    quantity        numeric(14, 4) NOT NULL CHECK (quantity > 0),
    movement_id     bigint NOT NULL,
    PRIMARY KEY (consortium_id, prescription_id, line_no, lot_key),
    FOREIGN KEY (consortium_id, prescription_id, line_no)
        REFERENCES extended_prescription_lines (consortium_id, prescription_id, line_no),
    FOREIGN KEY (consortium_id, movement_id) REFERENCES stock_movements (consortium_id, id)
);
CREATE INDEX extended_prescription_lots_lot ON extended_prescription_lots (consortium_id, lot_key);

-- Long prescriptions carry the e-prescription record too; the ones issued before keep working without a trace code.
ALTER TABLE long_prescriptions ADD COLUMN rx_trace_code text CHECK (length(rx_trace_code) = 20),
    ADD COLUMN hi_rxno text CHECK (length(hi_rxno) BETWEEN 1 AND 30),
    ADD COLUMN init_rxno text CHECK (length(init_rxno) BETWEEN 1 AND 30),
    ADD COLUMN voided_at timestamptz,
    ADD COLUMN void_reason text CHECK (length(btrim(void_reason)) BETWEEN 1 AND 1000),
    ADD COLUMN revoked_at timestamptz,
    ADD CONSTRAINT long_prescriptions_rx_trace_code UNIQUE (consortium_id, rx_trace_code),
    ADD CONSTRAINT long_prescriptions_void_revokes CHECK (voided_at IS NULL OR (revoked_at IS NOT NULL AND void_reason IS NOT NULL)),
    ADD CONSTRAINT long_prescriptions_void_reason CHECK ((void_reason IS NULL) = (voided_at IS NULL));
