-- Officers' free-text notes on an alert may name people: each is sealed
-- under the deployment's key beside the decision it belongs to, and goes
-- with the alert's personal data. Notes written before this step stay in
-- the decision's JSON until retention blanks them.
ALTER TABLE alerts ADD COLUMN adjudication_note_enc BLOB;
ALTER TABLE alerts ADD COLUMN engagement_note_enc BLOB;
ALTER TABLE alerts ADD COLUMN policing_outcome_note_enc BLOB;
