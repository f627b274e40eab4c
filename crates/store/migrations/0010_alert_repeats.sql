-- An alert adjudicated as a repeat names the earlier alert it repeats; the
-- figures count it as that one (rule repeat_of_a_dealt_with_alert).
ALTER TABLE alerts ADD COLUMN repeat_of BIGINT;
