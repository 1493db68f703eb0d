package dev.podidentity.mutation;

import dev.podidentity.identity.ContainerSelector;
import dev.podidentity.identity.Identity;
import dev.podidentity.identity.RoleSessionName;
import dev.podidentity.identity.TokenProjection;
import dev.podidentity.admission.TestJson;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;


import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;

import static dev.podidentity.TestJson.applyPatch;
import static dev.podidentity.TestJson.assertKeptEverything;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Properties of the mutation over generated pods (containers, init and ephemeral containers, env,
 * mounts, volumes, unknown fields, Windows or Linux, skip/include annotations) and identities
 * (IRSA and Pod Identity, with or without region, regional STS and session name).
 */
// Contract: docs/contract.md#patch-shape, docs/contract.md#containers
class PodMutatorPropertiesTest {

    static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    static final String[] AWS = {"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_REGION", "AWS_DEFAULT_REGION",
        "AWS_STS_REGIONAL_ENDPOINTS", "AWS_ROLE_SESSION_NAME", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"};
    static final Pattern ALLOWED = Pattern.compile("/metadata(/labels(/eks\\.amazonaws\\.com~1pod-identity)?)?"
            + "|/spec/volumes(/-)?|/spec/(initContainers|containers)/\\d+/(env|volumeMounts)(/-)?");

    record Case(ObjectNode pod, Identity identity) {
    }

    @Provide
    Arbitrary<Case> cases() {
        return Arbitraries.randomValue(random -> new Case(pod(random), identity(random)));
    }

    @Property(tries = 400)
    void thePatchAppliesKeepsEveryFieldAndTouchesOnlyAllowedPaths(@ForAll("cases") Case c) {
        Mutation mutation = PodMutator.mutate(TestJson.pod(c.pod()), c.identity());

        JsonNode result = applyPatch(TestJson.patch(mutation.ops()), c.pod());

        assertKeptEverything(c.pod(), result, "");
        for (PatchOp op : mutation.ops()) {
            assertTrue(ALLOWED.matcher(op.path()).matches(), op.path());
        }
        assertEquals(c.pod().at("/spec/ephemeralContainers"), result.at("/spec/ephemeralContainers"));
    }

    @Property(tries = 400)
    void runningOnItsOwnOutputYieldsNoPatch(@ForAll("cases") Case c) {
        JsonNode once = applyPatch(TestJson.patch(PodMutator.mutate(TestJson.pod(c.pod()), c.identity())
                .ops()), c.pod());

        assertEquals(List.of(), PodMutator.mutate(TestJson.pod(once), c.identity()).ops());
    }

    @Property(tries = 400)
    void unselectedContainersAreLeftAsTheyWere(@ForAll("cases") Case c) {
        JsonNode result = applyPatch(TestJson.patch(PodMutator.mutate(TestJson.pod(c.pod()), c.identity())
                .ops()), c.pod());

        for (String array : List.of("initContainers", "containers")) {
            JsonNode before = c.pod().at("/spec/" + array);
            for (int i = 0; i < before.size(); i++) {
                if (!c.identity().containers().selects(before.get(i).path("name").asText())) {
                    assertEquals(before.get(i), result.at("/spec/" + array + "/" + i), array + "/" + i);
                }
            }
        }
    }

    @Property(tries = 200)
    void everySelectedContainerEndsUpWithCredentialsOrWasLeftByTheQuirk(@ForAll("cases") Case c) {
        Mutation mutation = PodMutator.mutate(TestJson.pod(c.pod()), c.identity());
        if (!mutation.changesPod() && !mutation.warnings().isEmpty()) {
            return; // a conflicting volume leaves the pod as it was, with a warning
        }
        JsonNode result = applyPatch(TestJson.patch(mutation.ops()), c.pod());
        String credential = c.identity().mode().credentialVariable();
        String tokenFile = c.identity().mode().tokenFileVariable();
        for (String array : List.of("initContainers", "containers")) {
            for (JsonNode container : result.at("/spec/" + array)) {
                if (c.identity().containers().selects(container.path("name").asText())) {
                    List<String> names = new ArrayList<>();
                    container.path("env").forEach(e -> names.add(e.path("name").asText()));
                    assertTrue(names.contains(credential) || names.contains(tokenFile), container.toString());
                }
            }
        }
    }

    @Property(tries = 200)
    void theSameInputGivesTheSamePatch(@ForAll("cases") Case c) {
        PodView pod = TestJson.pod(c.pod());

        assertEquals(new String(TestJson.patch(PodMutator.mutate(pod, c.identity()).ops())),
                new String(TestJson.patch(PodMutator.mutate(pod, c.identity()).ops())));
    }

    static Identity identity(Random random) {
        TokenProjection irsa = new TokenProjection("aws-iam-token", "/var/run/secrets/eks.amazonaws.com/serviceaccount",
                "token", "sts.amazonaws.com", 600 + random.nextInt(86400));
        TokenProjection pi = new TokenProjection("eks-pod-identity-token",
                "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount", "eks-pod-identity-token",
                "pods.eks.amazonaws.com", 86400);
        Identity identity = random.nextBoolean() ? Identity.irsa("arn:aws:iam::111122223333:role/r", irsa)
                : Identity.podIdentity("http://169.254.170.23/v1/credentials", pi);
        String skip = random.nextInt(4) == 0 ? "c1, i0,ghost" : null;
        String include = random.nextInt(5) == 0 ? "c0,i1" : null;
        return identity.withRegion(random.nextBoolean() ? "eu-west-1" : null).withRegionalSts(random.nextBoolean())
                .withRoleSessionName(random.nextBoolean() ? RoleSessionName.forServiceAccount("ns", "sa") : null)
                .withContainers(ContainerSelector.parse(skip, include));
    }

    static ObjectNode pod(Random random) {
        ObjectNode pod = JSON.objectNode();
        if (random.nextInt(6) > 0) {
            ObjectNode metadata = pod.putObject("metadata");
            if (random.nextBoolean()) {
                metadata.put("name", "p".repeat(1 + random.nextInt(random.nextInt(8) == 0 ? 120 : 20)));
            } else {
                metadata.put("generateName", "app-");
            }
            if (random.nextBoolean()) {
                ObjectNode labels = metadata.putObject("labels");
                labels.put("app", "x");
                if (random.nextInt(4) == 0) {
                    labels.put("eks.amazonaws.com/pod-identity", random.nextBoolean() ? "enabled" : "off");
                }
            }
            unknown(random, metadata);
        }
        ObjectNode spec = pod.putObject("spec");
        spec.set("containers", containers(random, "c", 1 + random.nextInt(4)));
        if (random.nextBoolean()) {
            spec.set("initContainers", containers(random, "i", random.nextInt(3)));
        }
        if (random.nextInt(4) == 0) {
            spec.set("ephemeralContainers", containers(random, "e", 1));
        }
        if (random.nextBoolean()) {
            ArrayNode volumes = spec.putArray("volumes");
            volumes.addObject().put("name", "data").putObject("emptyDir");
            int kind = random.nextInt(6);
            if (kind == 0) {
                volumes.addObject().put("name", "aws-iam-token").putObject("emptyDir");
            } else if (kind == 1) {
                volumes.addObject().put("name", "aws-iam-token").putObject("projected").putArray("sources").addObject()
                        .putObject("serviceAccountToken").put("path", "token").put("audience", "sts.amazonaws.com");
            }
        }
        switch (random.nextInt(4)) {
            case 0 -> spec.putObject("nodeSelector").put("kubernetes.io/os", "windows");
            case 1 -> spec.putObject("os").put("name", random.nextBoolean() ? "windows" : "linux");
            default -> { }
        }
        unknown(random, spec);
        return pod;
    }

    static ArrayNode containers(Random random, String prefix, int count) {
        ArrayNode containers = JSON.arrayNode();
        for (int i = 0; i < count; i++) {
            ObjectNode container = containers.addObject();
            container.put("name", prefix + i).put("image", "registry.example/" + prefix + i);
            if (random.nextBoolean()) {
                ArrayNode env = container.putArray("env");
                for (int e = random.nextInt(4); e > 0; e--) {
                    String name = random.nextBoolean() ? AWS[random.nextInt(AWS.length)] : "VAR_" + random.nextInt(5);
                    env.addObject().put("name", name).put("value", "v");
                }
            }
            if (random.nextBoolean()) {
                ArrayNode mounts = container.putArray("volumeMounts");
                mounts.addObject().put("name", "data").put("mountPath", "/data");
                if (random.nextInt(5) == 0) {
                    mounts.addObject().put("name", "other").put("mountPath",
                            "/var/run/secrets/eks.amazonaws.com/serviceaccount");
                }
            }
            if (random.nextInt(3) == 0) {
                container.put("restartPolicy", "Always");
            }
            unknown(random, container);
        }
        return containers;
    }

    /** A field this code has never heard of, with a nested value, that must survive. */
    static void unknown(Random random, ObjectNode node) {
        if (random.nextBoolean()) {
            ObjectNode future = node.putObject("x-future-" + random.nextInt(3));
            future.put("n", random.nextDouble());
            future.putArray("list").add(random.nextInt()).addNull().add("s");
        }
    }
}
