-- Uploaded files a job's runs start with (docs/artifacts.md): the file ids (objects
-- under files/<owner id>/<file id>) and where each goes in the working directory, in
-- two arrays of one length. The API checks the paths (ArtifactRules); the checks here
-- keep the columns to that shape whatever writes them.
ALTER TABLE jobs ADD COLUMN input_files uuid[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(input_files) <= 16);
ALTER TABLE jobs ADD COLUMN input_paths text[] NOT NULL DEFAULT '{}'
    CHECK (cardinality(input_paths) = cardinality(input_files));
