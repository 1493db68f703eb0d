package dev.podidentity.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.podidentity.admission.AdmissionReviewAnswer;
import dev.podidentity.admission.AdmissionReviewAnswerWriter;
import dev.podidentity.mutation.DocumentTooLargeException;
import dev.podidentity.mutation.JsonPatchWriter;
import dev.podidentity.mutation.PatchOp;
import dev.podidentity.mutation.PatchValue;
import dev.podidentity.mutation.TokenProjection;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * {@code fullPathJacksonWriter} must do exactly what {@code fullPath} does, or comparing them says
 * nothing: on every fixture both answer the same bytes, and the Jackson writers write the same bytes
 * as the function's for every shape and escape the function writes.
 */
class JacksonWriterEquivalenceTest {

    @ParameterizedTest
    @ValueSource(strings = {"small", "typical", "large"})
    void theJacksonVariantAnswersTheSameBytesAsTheFunction(String fixture) throws Exception {
        AdmissionBenchmarks bench = new AdmissionBenchmarks();
        bench.fixture = fixture;
        bench.setUp();
        try {
            byte[] function = bench.fullPath();
            byte[] jackson = bench.fullPathJacksonWriter();

            assertEquals(new String(function, StandardCharsets.UTF_8), new String(jackson, StandardCharsets.UTF_8));
            assertArrayEquals(function, jackson);
        } finally {
            bench.tearDown();
        }
    }

    /**
     * Quotes, backslashes, every control character, two- and three-byte UTF-8, a character outside
     * the BMP and lone surrogates (both write surrogates as lower-case escapes).
     */
    static final String AWKWARD = "q\"b\\s/ é€ \uD83D\uDE00 \uDFFF\uD800 ctl" + controlCharacters() + " end";

    static String controlCharacters() {
        StringBuilder s = new StringBuilder();
        for (char c = 0; c < 0x20; c++) {
            s.append(c);
        }
        return s.append('\u007f').toString();
    }

    static final List<PatchOp> EVERY_SHAPE = List.of(
            new PatchOp("/spec/volumes/-", new PatchValue.TokenVolume(new TokenProjection("aws-iam-token",
                    "/var/run/secrets/eks.amazonaws.com/serviceaccount", "token", AWKWARD, 86400))),
            new PatchOp("/spec/containers/0/env", new PatchValue.Array(List.of(
                    new PatchValue.EnvVar("AWS_ROLE_ARN", AWKWARD),
                    new PatchValue.FieldRefEnvVar("AWS_ROLE_SESSION_NAME", "metadata.name")))),
            new PatchOp("/spec/containers/0/env/-", new PatchValue.EnvVar("AWS_REGION", "eu-west-1")),
            new PatchOp("/spec/containers/1/env/-", new PatchValue.EnvVar("AWS_REGION", "eu-west-1")),
            new PatchOp("/spec/containers/0/volumeMounts/-", new PatchValue.VolumeMount("aws-iam-token", "/x")),
            new PatchOp("/metadata/labels", new PatchValue.Member("eks.amazonaws.com/pod-identity",
                    new PatchValue.Text("enabled"))),
            new PatchOp("/metadata/labels/" + PatchOp.escape("a/b~c"), new PatchValue.Text(AWKWARD)));

    @Test
    void bothPatchWritersWriteTheSameBytesForEveryShapeAndEscape() {
        assertEquals(new String(JsonPatchWriter.write(EVERY_SHAPE), StandardCharsets.UTF_8),
                new String(JacksonWriterPath.patch(EVERY_SHAPE, Integer.MAX_VALUE), StandardCharsets.UTF_8));
    }

    @Test
    void bothAnswerWritersWriteTheSameBytes() {
        for (AdmissionReviewAnswer.Response response : List.of(
                AdmissionReviewAnswer.Response.patched("u-1", JsonPatchWriter.write(EVERY_SHAPE),
                        List.of(AWKWARD, "second")),
                AdmissionReviewAnswer.Response.denied("u-2", 400, AWKWARD),
                AdmissionReviewAnswer.Response.allowed(null, List.of()))) {
            AdmissionReviewAnswer answer = new AdmissionReviewAnswer("admission.k8s.io/v1", "AdmissionReview", response);

            assertEquals(new String(AdmissionReviewAnswerWriter.toBytes(answer), StandardCharsets.UTF_8),
                    new String(JacksonWriterPath.answer(answer), StandardCharsets.UTF_8));
        }
    }

    @Test
    void theJacksonPatchWriterKeepsTheSizeLimit() {
        assertThrows(DocumentTooLargeException.class, () -> JacksonWriterPath.patch(EVERY_SHAPE, 100));
    }
}
