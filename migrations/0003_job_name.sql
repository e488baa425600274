-- A job may carry a name its owner gave it (shown in lists and by the client). Optional;
-- the API bounds it to 128 characters, and the column says so too.
ALTER TABLE jobs ADD COLUMN name text CHECK (char_length(name) BETWEEN 1 AND 128);
