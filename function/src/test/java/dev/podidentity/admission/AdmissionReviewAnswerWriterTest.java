package dev.podidentity.admission;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static dev.podidentity.TestJson.MAPPER;
import static dev.podidentity.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

// Contract: docs/contract.md#admission-review
class AdmissionReviewAnswerWriterTest {

    /** What the writer writes, checked against what Jackson writes for the records, absent values left out. */
    static JsonNode written(AdmissionReviewAnswer answer) throws Exception {
        JsonNode direct = MAPPER.readTree(AdmissionReviewAnswerWriter.toBytes(answer));
        ObjectMapper jackson = new ObjectMapper().setSerializationInclusion(JsonInclude.Include.NON_EMPTY);
        // In a tree the patch is a binary node, as Jackson keeps any byte[]: written, it is the same base64.
        assertEquals(jackson.readTree(jackson.writeValueAsBytes(answer)), direct,
                "Jackson writes the same for the records");
        return direct;
    }

    @Test
    void aPatchIsWrittenAsBase64WithItsTypeAndWarnings() throws Exception {
        byte[] patch = "[{\"op\":\"add\",\"path\":\"/spec/volumes/-\",\"value\":{}}]".getBytes(StandardCharsets.UTF_8);
        JsonNode answer = written(new AdmissionReviewAnswer("admission.k8s.io/v1", "AdmissionReview",
                AdmissionReviewAnswer.Response.patched("u-1", patch, List.of("w \"1\"", "w2"))));

        assertEquals("u-1", answer.at("/response/uid").asText());
        assertEquals(true, answer.at("/response/allowed").booleanValue());
        assertEquals("JSONPatch", answer.at("/response/patchType").asText());
        assertArrayEquals(patch, answer.path("response").path("patch").binaryValue());
        assertEquals(List.of("w \"1\"", "w2"), MAPPER.convertValue(answer.path("response").path("warnings"), List.class));
        assertEquals(List.of("uid", "allowed", "patchType", "patch", "warnings"), fieldNames(answer.path("response")));
    }

    @Test
    void aDenialAlwaysSaysAllowedFalseAndWhy() throws Exception {
        JsonNode answer = written(new AdmissionReviewAnswer("admission.k8s.io/v1", "AdmissionReview",
                AdmissionReviewAnswer.Response.denied("u-2", 400, "spec.containers must be an array, was an object")));

        assertEquals(json("{'uid':'u-2','allowed':false,'status':{'code':400,"
                + "'message':'spec.containers must be an array, was an object'}}"), answer.path("response"));
    }

    @Test
    void absentAndEmptyValuesAreLeftOut() throws Exception {
        JsonNode answer = written(new AdmissionReviewAnswer("admission.k8s.io/v1", "AdmissionReview",
                AdmissionReviewAnswer.Response.allowed(null, List.of())));

        assertEquals(json("{'apiVersion':'admission.k8s.io/v1','kind':'AdmissionReview','response':{'allowed':true}}"),
                answer);
    }

    @Test
    void aDenialsStatusIsWrittenWholeEvenWithAnEmptyMessage() {
        byte[] answer = AdmissionReviewAnswerWriter.toBytes(new AdmissionReviewAnswer("admission.k8s.io/v1",
                "AdmissionReview", AdmissionReviewAnswer.Response.denied("u-3", 400, "")));

        assertEquals("{\"apiVersion\":\"admission.k8s.io/v1\",\"kind\":\"AdmissionReview\","
                + "\"response\":{\"uid\":\"u-3\",\"allowed\":false,\"status\":{\"code\":400,\"message\":\"\"}}}",
                new String(answer, StandardCharsets.UTF_8));
    }

    static List<String> fieldNames(JsonNode node) {
        List<String> names = new java.util.ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }
}
