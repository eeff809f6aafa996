/**
 * Reading and writing Hugging Face {@code .safetensors} checkpoints without loading whole files
 * into the Java heap.
 *
 * <p>DJL's bundled safetensors decoder reads an entire file into a single {@code byte[]}, which
 * cannot exceed 2 GiB and doubles peak memory; real checkpoints routinely have shards larger than
 * that. {@link dev.emend.core.safetensors.SafetensorsFile} therefore parses only the JSON header
 * eagerly and memory-maps one tensor's byte range at a time ({@code FileChannel.map} takes a
 * {@code long} position, so tensors beyond the 2 GiB mark are reachable), copying it into a
 * freshly allocated native buffer for the engine. The copy is deliberate: PyTorch would otherwise
 * alias the read-only mapping, and an in-place edit of a weight would fault. A single tensor must
 * still fit in one mapping (under 2 GiB).
 *
 * <p>{@link dev.emend.core.safetensors.SafetensorsCheckpoint} presents the single-file and sharded
 * ({@code model.safetensors.index.json}) layouts behind one name-to-tensor view, and
 * {@link dev.emend.core.safetensors.SafetensorsWriter} writes edited weights back atomically.
 */
package dev.emend.core.safetensors;
