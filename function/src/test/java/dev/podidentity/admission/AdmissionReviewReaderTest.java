package dev.podidentity.admission;


import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static dev.podidentity.TestJson.MAPPER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

// Contract: docs/contract.md#admission-review
class AdmissionReviewReaderTest {

    static AdmissionReview read(String singleQuoted) throws IOException {
        return MAPPER.readValue(singleQuoted.replace('\'', '"'), AdmissionReview.class);
    }

    @Test
    void theStreamedPodIsThePodOfTheTreeForEveryExample() throws IOException {
        List<Path> reviews;
        try (Stream<Path> files = Files.list(Path.of("../examples"))) {
            reviews = files.filter(f -> f.toString().endsWith(".json") && isReview(f)).toList();
        }
        assertFalse(reviews.isEmpty());
        for (Path file : reviews) {
            byte[] body = Files.readAllBytes(file);
            AdmissionRequest request = AdmissionReview.request(MAPPER.readValue(body, AdmissionReview.class));
            assertNotNull(request.pod(), file + ": " + request.podProblem());
            assertEquals(TestJson.pod(MAPPER.readTree(body).path("request").path("object")), request.pod(),
                    file.toString());
        }
    }

    static boolean isReview(Path file) {
        try {
            return Files.readString(file).contains("\"AdmissionReview\"");
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void fieldsAfterAnUnreadablePodAreStillRead() throws IOException {
        AdmissionRequest request = AdmissionReview.request(read("{'request':{'operation':'CREATE','object':"
                + "{'spec':{'containers':[{'name':'a','env':[{'name':'A'},{'name':{'deep':[1,{'x':2}]}}]}]},"
                + "'metadata':{'name':'p'}},'uid':'u-7','namespace':'shop','kind':{'kind':'Pod'}},"
                + "'apiVersion':'admission.k8s.io/v1beta1'}"));

        assertNull(request.pod());
        assertEquals("spec.containers[0].env[1].name must be a string, was an object", request.podProblem());
        assertEquals("u-7", request.uid());
        assertEquals("shop", request.namespace());
        assertEquals("admission.k8s.io/v1beta1", request.apiVersion());
        assertTrue(request.isPodCreate());
    }

    @Test
    void everythingTheRulesDoNotReadIsSkippedWhateverItsShape() throws IOException {
        AdmissionRequest request = AdmissionReview.request(read("{'request':{'userInfo':{'groups':['a',['b']]},"
                + "'oldObject':null,'options':{'dryRun':[true,1.5,null]},'uid':'u','operation':'CREATE',"
                + "'kind':{'group':'','version':'v1','kind':'Pod'},'object':{'status':{'x':[[[]]]},"
                + "'spec':{'affinity':{'a':[{'b':{}}]},'containers':[{'name':'c','resources':{'limits':{'cpu':'1'}},"
                + "'volumeMounts':[{'mountPath':'/m','name':'v','readOnly':true}]}]},'metadata':{'labels':{'n':1,'s':'t'}}}}}"));

        assertEquals("c", request.pod().containers().get(0).name());
        assertTrue(request.pod().containers().get(0).hasMountAt("/m"));
        assertEquals(java.util.Map.of("s", "t"), request.pod().labels());
        assertEquals("default", request.pod().serviceAccountName());
    }

    @Test
    void aFieldThatOccursTwiceCountsWithItsLastOccurrenceAsInATree() throws IOException {
        String body = "{'request':{'uid':'first','object':{'spec':{'containers':[{'name':'a'}]}},'uid':'last',"
                + "'object':{'spec':{'containers':[{'name':'b'},{'name':'c'}],'serviceAccountName':'x',"
                + "'serviceAccountName':'y'}}}}";
        AdmissionRequest request = AdmissionReview.request(read(body));

        assertEquals("last", request.uid());
        assertEquals(List.of("b", "c"), request.pod().containers().stream().map(c -> c.name()).toList());
        assertEquals("y", request.pod().serviceAccountName());
        assertEquals(TestJson.pod(MAPPER.readTree(body.replace('\'', '"')).at("/request/object")), request.pod());
    }

    @Test
    void anUnreadableServiceAccountFieldOnlyMattersWhenItIsTheOneUsed() throws IOException {
        AdmissionRequest named = AdmissionReview.request(read(
                "{'request':{'object':{'spec':{'serviceAccount':7,'serviceAccountName':'a'}}}}"));
        AdmissionRequest unnamed = AdmissionReview.request(read("{'request':{'object':{'spec':{'serviceAccount':[7]}}}}"));

        assertEquals("a", named.pod().serviceAccountName());
        assertEquals("spec.serviceAccount must be a string, was an array", unnamed.podProblem());
    }

    @Test
    void whatIsNotAnAdmissionReviewIsSaidPrecisely() throws IOException {
        assertEquals("the request body is not a JSON object: expected an AdmissionReview",
                assertThrows(BadReviewException.class, () -> AdmissionReview.request(read("[{'request':{}}]"))).getMessage());
        assertEquals("request of the AdmissionReview must be an object",
                assertThrows(BadReviewException.class, () -> AdmissionReview.request(read("{'request':'x'}"))).getMessage());
        assertEquals("the AdmissionReview has no request",
                assertThrows(BadReviewException.class, () -> AdmissionReview.request(read("{'request':null}"))).getMessage());
        assertEquals("expected kind AdmissionReview, got Pod", assertThrows(BadReviewException.class,
                () -> AdmissionReview.request(read("{'kind':'Pod','request':{}}"))).getMessage());
        assertEquals("the request body is empty: expected an AdmissionReview",
                assertThrows(BadReviewException.class, () -> AdmissionReview.request(null)).getMessage());
        assertEquals("request.object is missing: there is no pod to mutate",
                AdmissionReview.request(read("{'request':{'uid':'u'}}")).podProblem());
        assertEquals("request.object must be an object, was a number",
                AdmissionReview.request(read("{'request':{'object':3}}")).podProblem());
    }
}
