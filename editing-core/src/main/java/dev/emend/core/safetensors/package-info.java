/**
 * Reading and writing Hugging Face {@code .safetensors} checkpoints without loading whole files
 * into the Java heap.
 *
 * <p>DJL's bundled safetensors decoder reads an entire file into a single {@code byte[]}, which
 * cannot exceed 2 GiB and doubles peak memory; real checkpoints routinely have shards larger than
 * that. {@link dev.emend.core.safetensors.SafetensorsFile} therefore parses only the JSON header
 * eagerly and memory-maps one tensor's byte range at a time ({@code FileChannel.map} takes a
 * {@code long} position, so tensors beyond the 2 GiB mark are reachable). A tensor is handed to the
 * engine in its stored dtype: on the CPU the engine array aliases a copy-on-write
 * ({@code MapMode.PRIVATE}) mapping, so loading copies nothing and a bf16 model costs its file's
 * bytes of (shareable) page cache; an in-place write would copy only the touched page and never
 * reach the file (Java maps privately only through a channel opened for writing; on a read-only
 * file system the tensor is read once into native memory instead, still without widening). Tensors over 1 GiB, or with misaligned bytes, are read in pieces of rows into one
 * engine array, so no per-tensor size limit remains.
 *
 * <p>{@link dev.emend.core.safetensors.SafetensorsCheckpoint} presents the single-file and sharded
 * ({@code model.safetensors.index.json}) layouts behind one name-to-tensor view, and
 * {@link dev.emend.core.safetensors.SafetensorsWriter} writes edited weights back atomically.
 */
package dev.emend.core.safetensors;
