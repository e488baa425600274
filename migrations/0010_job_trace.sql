-- The W3C trace context of the request that made a job (docs/tracing.md): every run
-- of the job records its spans in that trace, and the job resource shows its trace id.
-- Null when the API was not tracing. The application writes only valid `traceparent`
-- values; the check keeps the column to that shape whatever writes it.
ALTER TABLE jobs ADD COLUMN trace_parent text
    CHECK (trace_parent IS NULL OR trace_parent ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$');
