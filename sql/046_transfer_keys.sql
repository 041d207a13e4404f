-- Preparation transfers (医疗机构制剂调剂使用) keyed by consortium (issue 28, "past one primary"): a transfer is
-- between members of one consortium, so its licences, approvals, receivers, shipments and receipts can be keyed, and
-- referred to, by (consortium, id) like every other table of a consortium's data. The foreign keys that lean on the
-- old keys are dropped first and made again on the new ones.
ALTER TABLE transfer_approval_receivers DROP CONSTRAINT transfer_approval_receivers_consortium_id_approval_id_fkey;
ALTER TABLE transfer_shipments DROP CONSTRAINT transfer_shipments_consortium_id_approval_id_fkey,
    DROP CONSTRAINT transfer_shipments_approval_id_receiver_institution_id_fkey;
ALTER TABLE transfer_receipts DROP CONSTRAINT transfer_receipts_consortium_id_shipment_id_fkey;

ALTER TABLE preparation_licences DROP CONSTRAINT preparation_licences_pkey, ADD PRIMARY KEY (consortium_id, id);
ALTER TABLE transfer_approvals DROP CONSTRAINT transfer_approvals_pkey,
    DROP CONSTRAINT transfer_approvals_consortium_id_id_key, ADD PRIMARY KEY (consortium_id, id);
ALTER TABLE transfer_approval_receivers DROP CONSTRAINT transfer_approval_receivers_pkey,
    ADD PRIMARY KEY (consortium_id, approval_id, institution_id);
ALTER TABLE transfer_shipments DROP CONSTRAINT transfer_shipments_pkey,
    DROP CONSTRAINT transfer_shipments_consortium_id_id_key, ADD PRIMARY KEY (consortium_id, id);
-- One receipt per shipment.
ALTER TABLE transfer_receipts DROP CONSTRAINT transfer_receipts_pkey, DROP CONSTRAINT transfer_receipts_shipment_id_key,
    ADD PRIMARY KEY (consortium_id, id), ADD CONSTRAINT transfer_receipts_shipment_once UNIQUE (consortium_id, shipment_id);

ALTER TABLE transfer_approval_receivers
    ADD FOREIGN KEY (consortium_id, approval_id) REFERENCES transfer_approvals (consortium_id, id);
-- Only to a receiver named on the approval.
ALTER TABLE transfer_shipments
    ADD FOREIGN KEY (consortium_id, approval_id) REFERENCES transfer_approvals (consortium_id, id),
    ADD FOREIGN KEY (consortium_id, approval_id, receiver_institution_id)
        REFERENCES transfer_approval_receivers (consortium_id, approval_id, institution_id);
ALTER TABLE transfer_receipts
    ADD FOREIGN KEY (consortium_id, shipment_id) REFERENCES transfer_shipments (consortium_id, id);
