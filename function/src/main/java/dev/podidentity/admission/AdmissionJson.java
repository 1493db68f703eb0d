package dev.podidentity.admission;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;

import io.quarkus.jackson.ObjectMapperCustomizer;

import jakarta.inject.Singleton;

/**
 * How an ObjectMapper reads an {@link AdmissionReview}: with {@link AdmissionReviewReader}. The
 * function's own ObjectMapper (Quarkus's) gets it as a customizer; any other registers
 * {@link #module()}. What the function writes (the patch, the answer, the decision line) is
 * written by {@link #WRITER}.
 *
 * <pre>{@code
 * ObjectMapper mapper = new ObjectMapper().registerModule(AdmissionJson.module());
 * AdmissionReview review = mapper.readValue(bodyBytes, AdmissionReview.class);
 * }</pre>
 *
 * <p>A module rather than {@code @JsonDeserialize} and {@code @JsonSerialize} on the records: Jackson
 * reads annotations through the JDK's reflection, which makes a proxy class for each annotation
 * type the first time, on the path of the first answer after a scale from zero.
 */
@Singleton
public class AdmissionJson implements ObjectMapperCustomizer {

    /**
     * Writes the function's documents, with {@code \}{@code uXXXX} escapes (control characters,
     * surrogates) in lower case, as the API server's Go encoder writes them.
     */
    static final ObjectMapper WRITER = JsonMapper.builder()
            .disable(JsonWriteFeature.WRITE_HEX_UPPER_CASE)
            .build();

    /** The reader of the admission review. */
    public static Module module() {
        return new SimpleModule("admission-review").addDeserializer(AdmissionReview.class, new AdmissionReviewReader());
    }

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.registerModule(module());
    }
}
