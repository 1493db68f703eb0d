package dev.podidentity.admission;

import dev.podidentity.mutation.PodView;

import org.junit.jupiter.api.Test;

import static dev.podidentity.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PodViewReaderTest {

    // Contract: docs/contract.md#service-account
    @Test
    void serviceAccountFallsBackToServiceAccountThenDefault() {
        assertEquals("a", TestJson.pod(json("{'spec':{'serviceAccountName':'a','serviceAccount':'b'}}"))
                .serviceAccountName());
        assertEquals("b", TestJson.pod(json("{'spec':{'serviceAccount':'b'}}")).serviceAccountName());
        assertEquals("b", TestJson.pod(json("{'spec':{'serviceAccountName':'','serviceAccount':'b'}}"))
                .serviceAccountName());
        assertEquals("default", TestJson.pod(json("{'spec':{}}")).serviceAccountName());
    }

    // Contract: docs/contract.md#windows
    @Test
    void windowsNeedsTheExactValue() {
        assertFalse(TestJson.pod(json("{'spec':{'nodeSelector':{'kubernetes.io/os':'Windows'}}}")).windows());
        assertTrue(TestJson.pod(json("{'spec':{'os':{'name':'windows'}}}")).windows());
    }

    // Contract: docs/contract.md#denials
    @Test
    void aPodThatCannotBePatchedIsRefusedWithTheFieldNamed() {
        UnreadablePodException containers = assertThrows(UnreadablePodException.class,
                () -> TestJson.pod(json("{'spec':{'containers':{'name':'a'}}}")));
        UnreadablePodException env = assertThrows(UnreadablePodException.class,
                () -> TestJson.pod(json("{'spec':{'containers':[{'name':'a','env':'x'}]}}")));
        UnreadablePodException noSpec = assertThrows(UnreadablePodException.class,
                () -> TestJson.pod(json("{'metadata':{}}")));

        assertEquals("spec.containers must be an array, was an object", containers.getMessage());
        assertEquals("spec.containers[0].env must be an array, was a string", env.getMessage());
        assertEquals("request.object.spec is missing: not a readable Pod", noSpec.getMessage());
    }

    @Test
    void envEntriesWithoutANameAreIgnoredNotFatal() {
        PodView pod = TestJson.pod(json("{'spec':{'containers':[{'name':'a','env':[{'value':'x'},{'name':'AWS_B'}]}]}}"));

        assertEquals(java.util.Set.of("AWS_B"), pod.containers().get(0).envNames());
    }

    @Test
    void onlyTheEnvNamesTheRulesCanAskAboutAreKept() throws Exception {
        String pod = "{'spec':{'containers':[{'name':'a','env':[{'name':'AWS'},{'name':'AWS_REGION'},{'name':'DB_URL'},"
                + "{'name':'aws_region'},{'name':'AWS_ROLE_ARN','value':'x'}]}]}}";
        PodView.Container fromTree = TestJson.pod(json(pod)).containers().get(0);
        PodView.Container fromBytes;
        try (var parser = dev.podidentity.TestJson.MAPPER.createParser(pod.replace('\'', '"'))) {
            parser.nextToken();
            fromBytes = PodViewReader.read(parser).containers().get(0);
        }

        assertEquals(java.util.Set.of("AWS_REGION", "AWS_ROLE_ARN"), fromTree.envNames());
        assertEquals(fromTree, fromBytes);
        assertTrue(fromBytes.hasEnv("AWS_REGION"));
        assertThrows(IllegalArgumentException.class, () -> fromBytes.hasEnv("DB_URL"));
    }

    @Test
    void aServiceAccountTokenSourceThatIsNotAnObjectProjectsNoTokenAndIsSkipped() throws Exception {
        for (String value : new String[] {"[1,{'path':'token'}]", "'token'", "7", "null", "true"}) {
            String pod = "{'spec':{'volumes':[{'name':'aws-iam-token','projected':{'sources':["
                    + "{'serviceAccountToken':" + value + ",'configMap':{'name':'x'}},"
                    + "{'serviceAccountToken':{'path':'other'}}]}}],"
                    + "'containers':[{'name':'a','env':[{'name':'AWS_REGION'}]}]}}";
            PodView fromTree = TestJson.pod(json(pod));
            PodView fromBytes;
            try (var parser = dev.podidentity.TestJson.MAPPER.createParser(pod.replace('\'', '"'))) {
                parser.nextToken();
                fromBytes = PodViewReader.read(parser);
            }

            assertEquals(fromTree, fromBytes, value);
            assertEquals(java.util.Set.of("other"), fromTree.volumes().get(0).serviceAccountTokenPaths(), value);
            assertEquals("a", fromTree.containers().get(0).name(), value);
        }
    }
}
