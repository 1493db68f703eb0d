package dev.podidentity.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.zjsonpatch.JsonPatch;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The baseline must do the same work as the function: the pod the function's patch produces and
 * the pod the typed baseline mutates are the same pod.
 */
class BaselineEquivalenceTest {

    @ParameterizedTest
    @ValueSource(strings = {"small", "typical", "large"})
    void baselineMutatesLikeTheFunction(String fixture) throws Exception {
        AdmissionBenchmarks bench = new AdmissionBenchmarks();
        bench.fixture = fixture;
        bench.setUp();
        try {
            ObjectMapper mapper = new ObjectMapper();
            JsonNode pod = mapper.readTree(bench.request).path("request").path("object");
            JsonNode ours = JsonPatch.apply(mapper.readTree(bench.patchOfSameLength), pod);

            Pod typed = mapper.treeToValue(pod, Pod.class);
            AdmissionBenchmarks.mutateTyped(typed);
            JsonNode theirs = mapper.valueToTree(typed);

            assertEquals(theirs, mapper.valueToTree(mapper.treeToValue(ours, Pod.class)));
            // both typed benchmarks answer with a patch that makes the same pod
            for (byte[] answer : new byte[][] {bench.typedDiffBaseline(), bench.typedDiffBuilderCopy()}) {
                byte[] patch = java.util.Base64.getDecoder().decode(mapper.readTree(answer).at("/response/patch").asText());
                JsonNode typedResult = JsonPatch.apply(mapper.readTree(patch), pod);
                assertEquals(theirs, mapper.valueToTree(mapper.treeToValue(typedResult, Pod.class)));
            }
            // every benchmark runs without failing
            bench.mutationCore();
            bench.fullPath();
            bench.floor();
            bench.cacheHit();
        } finally {
            bench.tearDown();
        }
    }
}
