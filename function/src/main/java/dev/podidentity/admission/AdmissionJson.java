package dev.podidentity.admission;

import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;

import io.quarkus.jackson.ObjectMapperCustomizer;

import jakarta.inject.Singleton;

/**
 * How an ObjectMapper reads an {@link AdmissionReview}: with {@link AdmissionReviewReader}. The
 * function's own ObjectMapper (Quarkus's) gets it as a customizer; any other registers
 * {@link #module()}.
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

    /** The reader of the admission review. */
    public static Module module() {
        return new SimpleModule("admission-review").addDeserializer(AdmissionReview.class, new AdmissionReviewReader());
    }

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.registerModule(module());
    }
}
