-- Corrections before they take effect (issue 18): a member changes its herb commitment while commitments are open,
-- the lead withdraws a mistyped bid while bidding; each with its reason, kept here as well as in the audit trail.

-- Every change of a commitment: what it was, what it became, and why.
CREATE TABLE herb_commitment_changes (
    consortium_id   bigint NOT NULL,
    id              bigint GENERATED ALWAYS AS IDENTITY,
    commitment_id   bigint NOT NULL,
    quantity_before numeric(14, 3) NOT NULL CHECK (quantity_before > 0),
    quantity_after  numeric(14, 3) NOT NULL CHECK (quantity_after > 0),
    status_before   text NOT NULL CHECK (status_before IN ('accepted', 'pending', 'rejected')),
    status_after    text NOT NULL CHECK (status_after IN ('accepted', 'pending', 'rejected')),
    reason          text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 1000),
    changed_by      bigint REFERENCES api_tokens (id),
    changed_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consortium_id, id),
    FOREIGN KEY (consortium_id, commitment_id) REFERENCES herb_commitments (consortium_id, id)
);
CREATE INDEX herb_commitment_changes_commitment ON herb_commitment_changes (consortium_id, commitment_id);

-- A withdrawn bid stays on record with its reason and no longer ranks. Existing bids are live (NULL).
ALTER TABLE herb_bids
    ADD COLUMN withdrawn_at      timestamptz,
    ADD COLUMN withdrawn_by      bigint REFERENCES api_tokens (id),
    ADD COLUMN withdrawal_reason text CHECK (length(btrim(withdrawal_reason)) BETWEEN 1 AND 1000),
    ADD CONSTRAINT herb_bids_withdrawal_has_reason CHECK ((withdrawn_at IS NULL) = (withdrawal_reason IS NULL));

-- One live bid per supplier and item: after withdrawing a mistyped bid the supplier's corrected bid can be entered.
ALTER TABLE herb_bids DROP CONSTRAINT herb_bids_consortium_id_item_id_supplier_id_key;

CREATE UNIQUE INDEX herb_bids_one_live ON herb_bids (consortium_id, item_id, supplier_id) WHERE withdrawn_at IS NULL;
