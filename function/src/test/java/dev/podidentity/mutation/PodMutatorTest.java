package dev.podidentity.mutation;

import dev.podidentity.identity.ContainerSelector;
import dev.podidentity.identity.CredentialMode;
import dev.podidentity.identity.Identity;
import dev.podidentity.identity.RoleSessionName;
import dev.podidentity.identity.TokenProjection;
import dev.podidentity.admission.TestJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;


import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static dev.podidentity.TestJson.applyPatch;
import static dev.podidentity.TestJson.assertKeptEverything;
import static dev.podidentity.TestJson.env;
import static dev.podidentity.TestJson.envNames;
import static dev.podidentity.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PodMutatorTest {

    static final String ARN = "arn:aws:iam::111122223333:role/app";
    static final String MOUNT = "/var/run/secrets/eks.amazonaws.com/serviceaccount";
    static final String TOKEN_FILE = MOUNT + "/token";
    static final TokenProjection IRSA_TOKEN = new TokenProjection("aws-iam-token", MOUNT, "token",
            "sts.amazonaws.com", 86400);
    static final TokenProjection PI_TOKEN = new TokenProjection("eks-pod-identity-token",
            "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount", "eks-pod-identity-token",
            "pods.eks.amazonaws.com", 86400);
    static final String AGENT = "http://169.254.170.23/v1/credentials";

    static final Identity IRSA = Identity.irsa(ARN, IRSA_TOKEN);

    /** Mutates the pod and returns the patched pod (asserting that nothing of the input was lost). */
    static JsonNode mutated(JsonNode pod, Identity identity) {
        Mutation mutation = PodMutator.mutate(TestJson.pod(pod), identity);
        JsonNode result = applyPatch(TestJson.patch(mutation.ops()), pod);
        assertKeptEverything(pod, result, "");
        return result;
    }

    static ObjectNode podWithContainer(String container) {
        return json("{'metadata':{'name':'p'},'spec':{'containers':[" + container + "]}}");
    }

    // Contract: docs/contract.md#env-vars
    @Test
    void envIsAppendedInTheReferenceOrder() {
        JsonNode pod = mutated(podWithContainer("{'name':'app'}"), IRSA.withRegionalSts(true).withRegion("eu-west-1"));

        assertEquals(List.of("AWS_STS_REGIONAL_ENDPOINTS=regional", "AWS_DEFAULT_REGION=eu-west-1",
                "AWS_REGION=eu-west-1", "AWS_ROLE_ARN=" + ARN, "AWS_WEB_IDENTITY_TOKEN_FILE=" + TOKEN_FILE),
                env(pod.at("/spec/containers/0")));
    }

    // Contract: docs/contract.md#env-vars
    @Test
    void envIsAppendedAfterTheContainersOwnVariables() {
        JsonNode pod = mutated(podWithContainer("{'name':'app','env':[{'name':'A','value':'1'}]}"), IRSA);

        assertEquals(List.of("A=1", "AWS_ROLE_ARN=" + ARN, "AWS_WEB_IDENTITY_TOKEN_FILE=" + TOKEN_FILE),
                env(pod.at("/spec/containers/0")));
    }

    // Contract: docs/contract.md#env-vars
    @Test
    void eitherRegionVariableSkipsBoth() {
        Identity identity = IRSA.withRegion("eu-west-1");
        JsonNode withRegion = mutated(podWithContainer("{'name':'a','env':[{'name':'AWS_REGION','value':'us-east-2'}]}"),
                identity);
        JsonNode withDefault = mutated(
                podWithContainer("{'name':'a','env':[{'name':'AWS_DEFAULT_REGION','value':'us-east-2'}]}"), identity);

        assertEquals(List.of("AWS_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"),
                envNames(withRegion.at("/spec/containers/0")));
        assertEquals(List.of("AWS_DEFAULT_REGION", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"),
                envNames(withDefault.at("/spec/containers/0")));
    }

    // Contract: docs/contract.md#env-vars
    @Test
    void noRegionIsInjectedWhenNoneIsConfigured() {
        JsonNode pod = mutated(podWithContainer("{'name':'a'}"), IRSA);

        assertFalse(envNames(pod.at("/spec/containers/0")).contains("AWS_REGION"));
    }

    // Contract: docs/contract.md#env-vars
    @Test
    void eitherCredentialVariableSkipsThePairButTheMountIsStillAdded() {
        JsonNode pod = mutated(podWithContainer("{'name':'a','env':[{'name':'AWS_WEB_IDENTITY_TOKEN_FILE','value':'/t'}]}"),
                IRSA);

        assertEquals(List.of("AWS_WEB_IDENTITY_TOKEN_FILE=/t"), env(pod.at("/spec/containers/0")));
        assertEquals("aws-iam-token", pod.at("/spec/containers/0/volumeMounts/0/name").asText());
    }

    // Contract: docs/contract.md#containers
    @Test
    void containerWithCredentialsRegionAndStsIsLeftCompletelyUntouched() {
        ObjectNode input = podWithContainer("{'name':'a','env':[{'name':'AWS_ROLE_ARN','value':'x'},"
                + "{'name':'AWS_REGION','value':'r'},{'name':'AWS_STS_REGIONAL_ENDPOINTS','value':'regional'}]}");

        JsonNode pod = mutated(input, IRSA.withRegionalSts(true).withRegion("eu-west-1"));

        assertEquals(input.at("/spec/containers/0"), pod.at("/spec/containers/0"), "container untouched, mount included");
        assertEquals("aws-iam-token", pod.at("/spec/volumes/0/name").asText(), "the pod still gets the volume");
    }

    // Contract: docs/contract.md#volume
    @Test
    void theProjectedTokenVolumeHasTheReferenceShape() {
        JsonNode pod = mutated(podWithContainer("{'name':'a'}"), IRSA);

        assertEquals(json("{'name':'aws-iam-token','projected':{'sources':[{'serviceAccountToken':"
                + "{'audience':'sts.amazonaws.com','expirationSeconds':86400,'path':'token'}}]}}"),
                pod.at("/spec/volumes/0"));
        assertEquals(json("{'name':'aws-iam-token','mountPath':'" + MOUNT + "','readOnly':true}"),
                pod.at("/spec/containers/0/volumeMounts/0"));
    }

    // Contract: docs/contract.md#volume, docs/contract.md#patch-shape
    @Test
    void theVolumeIsAppendedAfterExistingVolumes() {
        ObjectNode input = json("{'spec':{'volumes':[{'name':'scratch','emptyDir':{}}],'containers':[{'name':'a',"
                + "'volumeMounts':[{'name':'scratch','mountPath':'/scratch'}]}]}}");

        JsonNode pod = mutated(input, IRSA);

        assertEquals("scratch", pod.at("/spec/volumes/0/name").asText());
        assertEquals("aws-iam-token", pod.at("/spec/volumes/1/name").asText());
        assertEquals("aws-iam-token", pod.at("/spec/containers/0/volumeMounts/1/name").asText());
    }

    // Contract: docs/contract.md#containers
    @Test
    void initContainersAreMutatedAndEphemeralContainersAreNot() {
        ObjectNode input = json("{'spec':{'initContainers':[{'name':'init'}],'containers':[{'name':'app'}],"
                + "'ephemeralContainers':[{'name':'debug'}]}}");

        JsonNode pod = mutated(input, IRSA);

        assertEquals(List.of("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"), envNames(pod.at("/spec/initContainers/0")));
        assertEquals(List.of("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"), envNames(pod.at("/spec/containers/0")));
        assertEquals(input.at("/spec/ephemeralContainers"), pod.at("/spec/ephemeralContainers"));
    }

    // Contract: docs/contract.md#patch-shape
    @Test
    void unknownFieldsNativeSidecarsAndGrpcProbesSurvive() {
        ObjectNode input = json("{'metadata':{'name':'p','x-future':{'a':[1,2]}},'spec':{'futureField':true,"
                + "'initContainers':[{'name':'sidecar','restartPolicy':'Always','startupProbe':{'grpc':{'port':9090}}}],"
                + "'containers':[{'name':'app','livenessProbe':{'grpc':{'port':8081,'service':'health'}},"
                + "'resizePolicy':[{'resourceName':'cpu','restartPolicy':'NotRequired'}],"
                + "'someUnknownField':{'deep':{'value':[null,1.5e300,'x']}},'env':[{'name':'A','value':'1'}]}]}}");

        JsonNode pod = mutated(input, IRSA); // asserts every input field is still there, unchanged

        assertEquals("Always", pod.at("/spec/initContainers/0/restartPolicy").asText());
        assertEquals(9090, pod.at("/spec/initContainers/0/startupProbe/grpc/port").asInt());
        assertEquals(input.at("/spec/containers/0/someUnknownField"), pod.at("/spec/containers/0/someUnknownField"));
    }

    // Contract: docs/contract.md#volume, docs/contract.md#warnings
    @Test
    void aSameNameVolumeOfAnotherTypeLeavesThePodUnmutatedWithAWarning() {
        ObjectNode input = json("{'spec':{'volumes':[{'name':'aws-iam-token','emptyDir':{}}],'containers':[{'name':'a'}]}}");

        Mutation mutation = PodMutator.mutate(TestJson.pod(input), IRSA);

        assertFalse(mutation.changesPod());
        assertEquals(1, mutation.warnings().size());
        assertTrue(mutation.warnings().get(0).contains("aws-iam-token exists and is not a projected ServiceAccount token"));
    }

    // Contract: docs/contract.md#volume
    @Test
    void anExistingProjectedTokenVolumeIsReusedNotDuplicated() {
        ObjectNode input = json("{'spec':{'volumes':[{'name':'aws-iam-token','projected':{'sources':[{'serviceAccountToken':"
                + "{'audience':'sts.amazonaws.com','expirationSeconds':3600,'path':'token'}}]}}],'containers':[{'name':'a'}]}}");

        JsonNode pod = mutated(input, IRSA);

        assertEquals(1, pod.at("/spec/volumes").size());
        assertEquals(List.of("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"), envNames(pod.at("/spec/containers/0")));
    }

    // Contract: docs/contract.md#volume, docs/contract.md#warnings
    @Test
    void aTakenMountPathGetsNoMountAndAWarning() {
        ObjectNode input = json("{'spec':{'volumes':[{'name':'istio-token','emptyDir':{}}],'containers':[{'name':'a',"
                + "'volumeMounts':[{'name':'istio-token','mountPath':'" + MOUNT + "'}]}]}}");

        Mutation mutation = PodMutator.mutate(TestJson.pod(input), IRSA);
        JsonNode pod = mutated(input, IRSA);

        assertEquals(1, pod.at("/spec/containers/0/volumeMounts").size(), "no second mount at the same path");
        assertEquals(List.of("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"), envNames(pod.at("/spec/containers/0")));
        assertEquals(1, mutation.warnings().size());
        assertTrue(mutation.warnings().get(0).contains("already mounts another volume at " + MOUNT));
    }

    // Contract: docs/contract.md#windows
    @Test
    void windowsPodsFromAnyOsSelectorGetWindowsTokenPaths() {
        String expected = "C:\\var\\run\\secrets\\eks.amazonaws.com\\serviceaccount\\token";
        for (String spec : List.of("'nodeSelector':{'kubernetes.io/os':'windows'}",
                "'nodeSelector':{'beta.kubernetes.io/os':'windows'}", "'os':{'name':'windows'}")) {
            JsonNode pod = mutated(json("{'spec':{" + spec + ",'containers':[{'name':'a'}]}}"), IRSA);

            assertEquals("AWS_WEB_IDENTITY_TOKEN_FILE=" + expected, env(pod.at("/spec/containers/0")).get(1), spec);
            assertEquals(MOUNT, pod.at("/spec/containers/0/volumeMounts/0/mountPath").asText(), "mount stays Unix");
        }
    }

    // Contract: docs/contract.md#windows
    @Test
    void linuxPodsKeepUnixTokenPaths() {
        JsonNode pod = mutated(json("{'spec':{'nodeSelector':{'kubernetes.io/os':'linux'},'os':{'name':'linux'},"
                + "'containers':[{'name':'a'}]}}"), IRSA);

        assertEquals("AWS_WEB_IDENTITY_TOKEN_FILE=" + TOKEN_FILE, env(pod.at("/spec/containers/0")).get(1));
    }

    // Contract: docs/contract.md#containers
    @Test
    void skipContainersAppliesToInitContainersAndContainers() {
        ObjectNode input = json("{'spec':{'initContainers':[{'name':'istio-init'},{'name':'setup'}],"
                + "'containers':[{'name':'app'},{'name':'istio-proxy'}]}}");
        Identity identity = IRSA.withContainers(ContainerSelector.parse(" istio-proxy ,istio-init", null));

        JsonNode pod = mutated(input, identity);

        assertFalse(pod.at("/spec/initContainers/0").has("env"));
        assertFalse(pod.at("/spec/initContainers/0").has("volumeMounts"));
        assertTrue(pod.at("/spec/initContainers/1").has("env"));
        assertTrue(pod.at("/spec/containers/0").has("env"));
        assertFalse(pod.at("/spec/containers/1").has("env"));
        assertEquals(1, pod.at("/spec/volumes").size(), "the pod still gets the volume");
    }

    // Contract: docs/contract.md#containers
    @Test
    void includeContainersMutatesOnlyTheNamedOnes() {
        ObjectNode input = json("{'spec':{'initContainers':[{'name':'init'}],'containers':[{'name':'app'},{'name':'side'}]}}");
        Identity identity = IRSA.withContainers(ContainerSelector.parse(null, "app,init"));

        JsonNode pod = mutated(input, identity);

        assertTrue(pod.at("/spec/initContainers/0").has("env"));
        assertTrue(pod.at("/spec/containers/0").has("env"));
        assertFalse(pod.at("/spec/containers/1").has("env"));
    }

    // Contract: docs/contract.md#containers, docs/contract.md#annotations
    @Test
    void anIncludeContainersListPresentButEmptyMutatesNoContainer() {
        ObjectNode input = json("{'spec':{'initContainers':[{'name':'init'}],'containers':[{'name':'app'},{'name':'side'}]}}");
        Identity identity = IRSA.withContainers(ContainerSelector.parse(null, ""));

        JsonNode pod = mutated(input, identity);

        assertEquals(input.at("/spec/initContainers"), pod.at("/spec/initContainers"), "unlike the AWS webhook: none");
        assertEquals(input.at("/spec/containers"), pod.at("/spec/containers"));
        assertFalse(ContainerSelector.parse(null, " , ").selects("app"), "blank names name nothing");
        assertTrue(ContainerSelector.parse(null, null).selects("app"), "absent: every container");
    }

    // Contract: docs/contract.md#annotations
    @Test
    void namesInTheContainerListsLoseSurroundingSpacesAndDoubleQuotes() {
        ContainerSelector selector = ContainerSelector.parse(" \"side\" ,  mesh ,\" init \"", null);

        assertFalse(selector.selects("side"));
        assertFalse(selector.selects("mesh"));
        assertFalse(selector.selects("init"));
        assertTrue(selector.selects("app"));
        assertTrue(selector.selects(" mesh"), "a name is compared as written once trimmed");
    }

    // Contract: docs/contract.md#warnings
    @Test
    void containersNamedInSkipContainersButAbsentAreReported() {
        Identity identity = IRSA.withContainers(ContainerSelector.parse("istio-proxy", null));

        Mutation mutation = PodMutator.mutate(TestJson.pod(podWithContainer("{'name':'app'}")), identity);

        assertEquals(List.of("container istio-proxy named in skip-containers or include-containers is not in this pod"),
                mutation.warnings());
    }

    // Contract: docs/contract.md#env-vars, docs/contract.md#volume
    @Test
    void podIdentityInjectsContainerCredentialsAndTheLabel() {
        Identity identity = Identity.podIdentity(AGENT, PI_TOKEN);

        JsonNode pod = mutated(json("{'metadata':{'name':'p'},'spec':{'containers':[{'name':'a'}]}}"), identity);

        assertEquals(List.of("AWS_CONTAINER_CREDENTIALS_FULL_URI=" + AGENT,
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=/var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token"),
                env(pod.at("/spec/containers/0")));
        assertEquals("enabled", pod.at("/metadata/labels").get("eks.amazonaws.com/pod-identity").asText());
        assertEquals("eks-pod-identity-token", pod.at("/spec/volumes/0/name").asText());
        assertEquals("pods.eks.amazonaws.com", pod.at("/spec/volumes/0/projected/sources/0/serviceAccountToken/audience").asText());
    }

    // Contract: docs/contract.md#volume, docs/contract.md#patch-shape
    @Test
    void podIdentityLabelIsAddedBesideExistingLabelsAndWithoutMetadata() {
        Identity identity = Identity.podIdentity(AGENT, PI_TOKEN);

        JsonNode labelled = mutated(json("{'metadata':{'labels':{'app':'x'}},'spec':{'containers':[]}}"), identity);
        JsonNode bare = mutated(json("{'spec':{'containers':[]}}"), identity);

        assertEquals("x", labelled.at("/metadata/labels/app").asText());
        assertEquals("enabled", labelled.at("/metadata/labels").get("eks.amazonaws.com/pod-identity").asText());
        assertEquals("enabled", bare.at("/metadata/labels").get("eks.amazonaws.com/pod-identity").asText());
    }

    // Contract: docs/contract.md#volume
    @Test
    void anExistingPodIdentityLabelIsNeverReplaced() {
        JsonNode pod = mutated(json("{'metadata':{'labels':{'eks.amazonaws.com/pod-identity':'off'}},"
                + "'spec':{'containers':[{'name':'a'}]}}"), Identity.podIdentity(AGENT, PI_TOKEN));

        assertEquals("off", pod.at("/metadata/labels").get("eks.amazonaws.com/pod-identity").asText());
        assertEquals("AWS_CONTAINER_CREDENTIALS_FULL_URI=" + AGENT, env(pod.at("/spec/containers/0")).get(0));
    }

    // Contract: docs/contract.md#role-session-name
    @Test
    void roleSessionNameComesFromTheDownwardApi() {
        Identity identity = IRSA.withRoleSessionName(RoleSessionName.forServiceAccount("shop", "api"));

        JsonNode named = mutated(json("{'metadata':{'name':'api-0'},'spec':{'containers':[{'name':'a'}]}}"), identity);
        JsonNode generated = mutated(json("{'metadata':{'generateName':'api-7c9-'},'spec':{'containers':[{'name':'a'}]}}"),
                identity);

        assertEquals("AWS_ROLE_SESSION_NAME=<fieldRef:metadata.name>", env(named.at("/spec/containers/0")).get(2));
        assertEquals("AWS_ROLE_SESSION_NAME=<fieldRef:metadata.name>", env(generated.at("/spec/containers/0")).get(2));
    }

    // Contract: docs/contract.md#role-session-name
    @Test
    void podsNamedLongerThanStsAllowsGetTheNamespaceAndServiceAccountAsSessionName() {
        String longName = "x".repeat(65);
        Identity identity = IRSA.withRoleSessionName(RoleSessionName.forServiceAccount("shop", "api:v1"));

        JsonNode pod = mutated(json("{'metadata':{'name':'" + longName + "'},'spec':{'containers':[{'name':'a'}]}}"),
                identity);

        assertEquals("AWS_ROLE_SESSION_NAME=shop.api-v1", env(pod.at("/spec/containers/0")).get(2));
    }

    /** STS refuses a session name of one character: such a pod would get no credentials at all. */
    // Contract: docs/contract.md#role-session-name
    @Test
    void podsNamedShorterThanStsAllowsGetTheNamespaceAndServiceAccountAsSessionName() {
        Identity identity = IRSA.withRoleSessionName(RoleSessionName.forServiceAccount("shop", "api"));

        JsonNode one = mutated(json("{'metadata':{'name':'a'},'spec':{'containers':[{'name':'a'}]}}"), identity);
        JsonNode two = mutated(json("{'metadata':{'name':'ab'},'spec':{'containers':[{'name':'a'}]}}"), identity);
        JsonNode longest = mutated(json("{'metadata':{'name':'" + "x".repeat(64) + "'},'spec':{'containers':"
                + "[{'name':'a'}]}}"), identity);
        JsonNode generated = mutated(json("{'metadata':{'name':'','generateName':'a'},'spec':{'containers':"
                + "[{'name':'a'}]}}"), identity);

        assertEquals("AWS_ROLE_SESSION_NAME=shop.api", env(one.at("/spec/containers/0")).get(2));
        assertEquals("AWS_ROLE_SESSION_NAME=<fieldRef:metadata.name>", env(two.at("/spec/containers/0")).get(2));
        assertEquals("AWS_ROLE_SESSION_NAME=<fieldRef:metadata.name>", env(longest.at("/spec/containers/0")).get(2));
        assertEquals("AWS_ROLE_SESSION_NAME=<fieldRef:metadata.name>", env(generated.at("/spec/containers/0")).get(2),
                "an empty name is generated by the API server: six characters at least");
    }

    // Contract: docs/contract.md#role-session-name
    @Test
    void sessionNameFallbackIsCutToSixtyFourCharacters() {
        RoleSessionName name = RoleSessionName.forServiceAccount("n".repeat(63), "s".repeat(253));

        assertEquals(64, name.fallback().length());
        assertTrue(name.fallback().matches("[\\w+=,.@-]{2,64}"));
    }

    // Contract: docs/contract.md#role-session-name, docs/contract.md#env-vars
    @Test
    void sessionNameIsOnlyAddedWithTheCredentialPairAndIfAbsent() {
        Identity identity = IRSA.withRoleSessionName(RoleSessionName.forServiceAccount("shop", "api"));

        JsonNode hadArn = mutated(podWithContainer("{'name':'a','env':[{'name':'AWS_ROLE_ARN','value':'x'}]}"), identity);
        JsonNode hadName = mutated(podWithContainer("{'name':'a','env':[{'name':'AWS_ROLE_SESSION_NAME','value':'mine'}]}"),
                identity);

        assertEquals(List.of("AWS_ROLE_ARN"), envNames(hadArn.at("/spec/containers/0")));
        assertEquals(List.of("AWS_ROLE_SESSION_NAME", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"),
                envNames(hadName.at("/spec/containers/0")));
    }

    // Contract: docs/contract.md#role-session-name
    @Test
    void podIdentityNeverGetsASessionName() {
        Identity identity = new Identity(CredentialMode.POD_IDENTITY, AGENT, PI_TOKEN, false, null,
                RoleSessionName.forServiceAccount("a", "b"), ContainerSelector.ALL);

        assertEquals(null, identity.roleSessionName());
    }

    // Contract: docs/contract.md#patch-shape
    @Test
    void runningOnItsOwnOutputYieldsNoPatch() {
        List<Identity> identities = List.of(IRSA.withRegion("eu-west-1").withRegionalSts(true)
                .withRoleSessionName(RoleSessionName.forServiceAccount("a", "b")), Identity.podIdentity(AGENT, PI_TOKEN));
        List<String> pods = List.of("{'spec':{'containers':[{'name':'a'}]}}",
                "{'metadata':{'labels':{'x':'y'}},'spec':{'volumes':[{'name':'v','emptyDir':{}}],"
                        + "'initContainers':[{'name':'i','env':[{'name':'AWS_REGION','value':'r'}]}],"
                        + "'containers':[{'name':'a','volumeMounts':[{'name':'v','mountPath':'/v'}]},{'name':'b'}]}}",
                "{'spec':{'os':{'name':'windows'},'containers':[{'name':'a','env':[{'name':'AWS_ROLE_ARN','value':'x'}]}]}}");
        for (Identity identity : identities) {
            for (String podJson : pods) {
                JsonNode once = mutated(json(podJson), identity);

                Mutation again = PodMutator.mutate(TestJson.pod(once), identity);

                assertEquals(List.of(), again.ops(), identity.mode() + " " + podJson);
            }
        }
    }

    // Contract: docs/contract.md#patch-shape
    @Test
    void theSameInputAlwaysGivesTheSamePatch() {
        ObjectNode input = json("{'spec':{'initContainers':[{'name':'i'}],'containers':[{'name':'a'},{'name':'b'}]}}");

        byte[] first = TestJson.patch(PodMutator.mutate(TestJson.pod(input), IRSA.withRegion("r")).ops());
        byte[] second = TestJson.patch(PodMutator.mutate(TestJson.pod(input), IRSA.withRegion("r")).ops());

        assertEquals(new String(first), new String(second));
    }

    // Contract: docs/contract.md#patch-shape
    @Test
    void onlyAppendingAddOperationsOnAllowedPathsAreEmitted() {
        ObjectNode input = json("{'metadata':{'labels':{}},'spec':{'volumes':[],'initContainers':[{'name':'i','env':[],"
                + "'volumeMounts':[]}],'containers':[{'name':'a'}]}}");

        Mutation mutation = PodMutator.mutate(TestJson.pod(input), Identity.podIdentity(AGENT, PI_TOKEN).withRegion("r"));

        Set<String> allowed = Set.of("/metadata/labels/eks.amazonaws.com~1pod-identity", "/spec/volumes/-",
                "/spec/initContainers/0/env/-", "/spec/initContainers/0/volumeMounts/-", "/spec/containers/0/env",
                "/spec/containers/0/volumeMounts");
        for (PatchOp op : mutation.ops()) {
            assertTrue(allowed.contains(op.path()), op.path());
        }
    }
}
