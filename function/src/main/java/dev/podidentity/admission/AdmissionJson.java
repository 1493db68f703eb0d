package dev.podidentity.admission;

import com.fasterxml.jackson.databind.Module;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;

import io.quarkus.jackson.ObjectMapperCustomizer;

import jakarta.inject.Singleton;

/**
 * How an ObjectMapper reads an {@link AdmissionReview} and writes an {@link AdmissionReviewAnswer}:
 * with {@link AdmissionReviewReader} and {@link AdmissionReviewAnswerWriter}. The function's own
 * ObjectMapper (Quarkus's, which Funqy uses) gets them as a customizer; any other registers
 * {@link #module()}.
 *
 * <pre>{@code
 * ObjectMapper mapper = new ObjectMapper().registerModule(AdmissionJson.module());
 * AdmissionReview review = mapper.readValue(bodyBytes, AdmissionReview.class);
 * }</pre>
 *
 * <p>A module rather than {@code @JsonDeserialize} and {@code @JsonSerialize} on the records: Jackson
 * reads annotations through the JDK's reflection, which makes a proxy class for each annotation
 * type the first time, in the interpreter. Funqy builds its reader and writer for the two records
 * before the function serves, so that was on the path of the first answer after a scale from zero
 * (benchmarks/README.md, "Admission JSON without annotations").
 */
@Singleton
public class AdmissionJson implements ObjectMapperCustomizer {

    /** The reader and the writer of the admission types. */
    public static Module module() {
        return new SimpleModule("admission-review")
                .addDeserializer(AdmissionReview.class, new AdmissionReviewReader())
                .addSerializer(AdmissionReviewAnswer.class, new AdmissionReviewAnswerWriter());
    }

    @Override
    public void customize(ObjectMapper mapper) {
        mapper.registerModule(module());
    }
}
