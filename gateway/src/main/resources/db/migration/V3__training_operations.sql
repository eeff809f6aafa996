-- Training operations (POST /v1/methods/{method}/training: a trainable method's component, MEND's
-- editor, trained by its phase service with TrainMethod) share the table, the worker, the follower
-- and the cancel of edit operations. An edit operation has a space; a training has none (it trains
-- for the phase's model) and is named by its method and idempotency key.
ALTER TABLE edit_operation ADD COLUMN kind VARCHAR(16) NOT NULL DEFAULT 'edit' CHECK (kind IN ('edit', 'training'));
ALTER TABLE edit_operation ALTER COLUMN space DROP NOT NULL;
ALTER TABLE edit_operation ADD CONSTRAINT edit_operation_space_of_kind CHECK ((kind = 'edit') = (space IS NOT NULL));
CREATE UNIQUE INDEX edit_operation_training_key ON edit_operation (method, idempotency_key) WHERE kind = 'training';
