package dev.podidentity.admission;

import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;

import io.quarkus.jackson.ObjectMapperCustomizer;

import jakarta.inject.Singleton;

/**
 * Limits on what the JSON parser follows in a request body: nesting depth and string length, so a
 * hostile body is refused before it costs memory or stack; and no trailing content after the
 * review.
 *
 * <pre>{@code
 * int depth = JsonLimits.MAX_NESTING_DEPTH; // 64: a pod nests about 12 deep
 * }</pre>
 *
 * <p>Fixed values, not properties: Quarkus builds its ObjectMapper before runtime configuration
 * exists.
 */
@Singleton
public class JsonLimits implements ObjectMapperCustomizer {

    /** Deepest nesting followed; the deepest pod fields (affinity terms, probe headers) are ~12 deep. */
    public static final int MAX_NESTING_DEPTH = 64;
    /** Longest string accepted; the whole body is limited to 3 MiB anyway. */
    public static final int MAX_STRING_LENGTH = 1 << 20;

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.getFactory().setStreamReadConstraints(StreamReadConstraints.builder()
                .maxNestingDepth(MAX_NESTING_DEPTH)
                .maxStringLength(MAX_STRING_LENGTH)
                .build());
        mapper.enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    }
}
