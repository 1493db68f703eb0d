package dev.podidentity.admission;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;

import dev.podidentity.mutation.PatchOp;
import dev.podidentity.mutation.PodView;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * The function's JSON codec as tests use it: a pod held as a tree, a patch without a size limit.
 *
 * <pre>{@code
 * PodView pod = TestJson.pod(MAPPER.readTree("{\"spec\":{\"containers\":[{\"name\":\"app\"}]}}"));
 * byte[] patch = TestJson.patch(PodMutator.mutate(pod, identity).ops());
 * }</pre>
 */
public final class TestJson {

    private TestJson() {
    }

    /** The pod's view, read by the function's own reader from a tree. */
    public static PodView pod(JsonNode pod) {
        if (pod == null || pod.isMissingNode()) {
            throw new UnreadablePodException(UnreadablePodException.MISSING_OBJECT);
        }
        try (JsonParser parser = pod.traverse()) {
            parser.nextToken();
            return PodViewReader.read(parser);
        } catch (IOException e) {
            throw new UncheckedIOException("a tree cannot fail to read", e);
        }
    }

    /** The JSON Patch document the function writes for {@code ops}. */
    public static byte[] patch(List<PatchOp> ops) {
        return JsonPatchWriter.write(ops, Integer.MAX_VALUE);
    }
}
