package dev.podidentity.mutation;

import java.util.List;

/**
 * What {@link PodMutator} decided for one pod: the patch operations (possibly none) and the
 * warnings a user should see.
 *
 * <pre>{@code
 * Mutation mutation = PodMutator.mutate(pod, identity);
 * if (mutation.changesPod()) {
 *     byte[] patch = JsonPatchWriter.write(mutation.ops(), 1536 * 1024);
 * }
 * }</pre>
 *
 * @param ops the {@code add} operations, in application order
 * @param warnings human-readable problems that did not stop admission
 */
public record Mutation(List<PatchOp> ops, List<String> warnings) {

    public Mutation {
        ops = List.copyOf(ops);
        warnings = List.copyOf(warnings);
    }

    public boolean changesPod() {
        return !ops.isEmpty();
    }
}
