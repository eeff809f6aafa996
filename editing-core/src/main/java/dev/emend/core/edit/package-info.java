/**
 * The editing SPI every phase implements: value types in KnowEdit/EasyEdit field names
 * ({@link dev.emend.core.edit.EditRequest}), hyperparameter specs and validation
 * ({@link dev.emend.core.edit.Hparams}, YAML files via {@link dev.emend.core.edit.HparamsFiles}),
 * and the two interfaces a phase's algorithms plug into the shared service with:
 * {@link dev.emend.core.edit.PhaseEngine} (compute an edit, never mutating anything) and
 * {@link dev.emend.core.edit.SpaceState} (a space's in-memory state = replay(base, ledger)).
 *
 * <p>No Quarkus here: the shared gRPC/ledger service lives in the {@code phase-service} module.
 */
package dev.emend.core.edit;
