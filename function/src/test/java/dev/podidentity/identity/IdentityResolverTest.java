package dev.podidentity.identity;

import com.fasterxml.jackson.databind.JsonNode;

import dev.podidentity.admission.TestJson;
import dev.podidentity.config.LookupFailurePolicy;
import dev.podidentity.config.RoleSessionNameMode;
import dev.podidentity.mutation.PodMutator;
import dev.podidentity.mutation.PodView;
import dev.podidentity.serviceaccount.LookupFailedException;
import dev.podidentity.serviceaccount.ServiceAccount;
import dev.podidentity.serviceaccount.ServiceAccountRef;
import dev.podidentity.serviceaccount.ServiceAccountSource;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;

import static dev.podidentity.TestJson.applyPatch;
import static dev.podidentity.TestJson.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

// Contract: docs/contract.md#identity-modes
class IdentityResolverTest {

    static final String ARN = "arn:aws:iam::111122223333:role/app";
    static final String P = "eks.amazonaws.com/";

    final Map<ServiceAccountRef, ServiceAccount> accounts = new HashMap<>();
    final ServiceAccountSource source = ref -> Optional.ofNullable(accounts.get(ref));

    /** Draws the upper bound minus one, so a jittered value is recognisable and reproducible. */
    final RandomGenerator random = new RandomGenerator() {
        @Override
        public long nextLong() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long nextLong(long origin, long bound) {
            drawn = new long[] {origin, bound};
            return bound - 7;
        }
    };
    long[] drawn;

    void serviceAccount(String name, Map<String, String> annotations) {
        ServiceAccountRef ref = new ServiceAccountRef("ns", name);
        accounts.put(ref, new ServiceAccount(ref, annotations));
    }

    static PodView pod(String serviceAccount, String annotations) {
        return TestJson.pod(json("{'metadata':{'name':'p','annotations':{" + annotations + "}},"
                + "'spec':{'serviceAccountName':'" + serviceAccount + "','containers':[{'name':'a'}]}}"));
    }

    /** What the resolver decides for the pod in namespace {@code ns}. */
    static Resolution resolved(IdentityResolver resolver, PodView pod) {
        return resolver.resolve("ns", pod.serviceAccountName(), pod.annotations());
    }

    Resolution resolve(IdentitySettings settings, PodIdentityAssociations associations, PodView pod) {
        return resolved(new IdentityResolver(settings, source, associations, RoleMappingSource.NONE, random), pod);
    }

    Identity irsa(PodView pod) {
        Resolution resolution = resolve(IdentitySettings.defaults(), PodIdentityAssociations.NONE, pod);
        return resolution.identity();
    }

    PodIdentityAssociations associations(String json) throws Exception {
        Path file = Files.createTempFile("associations", ".json");
        Files.writeString(file, json);
        return PodIdentityAssociations.watching(file, Duration.ZERO);
    }

    @Test
    void roleArnAnnotationGivesIrsaWithTheConfiguredDefaults() {
        serviceAccount("sa", Map.of(P + "role-arn", ARN));

        Identity identity = irsa(pod("sa", ""));

        assertEquals(CredentialMode.IRSA, identity.mode());
        assertEquals(ARN, identity.credential());
        assertEquals("sts.amazonaws.com", identity.token().audience());
        assertEquals(86400, identity.token().expirationSeconds(), "IRSA never jitters");
        assertEquals("aws-iam-token", identity.token().volumeName());
        assertEquals(false, identity.regionalSts());
        assertNull(identity.roleSessionName());
    }

    @Test
    void noAnnotationMeansNothingIsInjectedWithoutWarning() {
        serviceAccount("sa", Map.of(P + "role-arn", "  "));

        Resolution resolution = resolve(IdentitySettings.defaults(), PodIdentityAssociations.NONE, pod("sa", ""));

        assertNull(resolution.identity());
        assertEquals(List.of(), resolution.warnings());
    }

    @Test
    void tokenExpirationPrecedenceIsPodThenServiceAccountThenConfigWithA600Floor() {
        serviceAccount("sa", Map.of(P + "role-arn", ARN, P + "token-expiration", "7200"));
        serviceAccount("bad", Map.of(P + "role-arn", ARN, P + "token-expiration", "2h"));
        serviceAccount("low", Map.of(P + "role-arn", ARN, P + "token-expiration", "60"));

        assertEquals(3600, irsa(pod("sa", "'" + P + "token-expiration':'3600'")).token().expirationSeconds());
        assertEquals(7200, irsa(pod("sa", "")).token().expirationSeconds());
        assertEquals(7200, irsa(pod("sa", "'" + P + "token-expiration':'soon'")).token().expirationSeconds(),
                "an invalid pod value falls back to the ServiceAccount's");
        assertEquals(86400, irsa(pod("bad", "")).token().expirationSeconds(), "invalid → config");
        assertEquals(600, irsa(pod("low", "")).token().expirationSeconds());
        assertEquals(600, irsa(pod("sa", "'" + P + "token-expiration':'0'")).token().expirationSeconds());
        assertEquals(600, resolve(IdentitySettings.builder().tokenExpiration(5).build(), PodIdentityAssociations.NONE,
                pod("bad", "")).identity().token().expirationSeconds());
    }

    // Contract: docs/contract.md#annotations
    @Test
    void audienceAnnotationOverridesTheDefaultAndAnEmptyOneMeansTheDefault() {
        serviceAccount("custom", Map.of(P + "role-arn", ARN, P + "audience", "my-audience"));
        serviceAccount("empty", Map.of(P + "role-arn", ARN, P + "audience", ""));

        assertEquals("my-audience", irsa(pod("custom", "")).token().audience());
        assertEquals("sts.amazonaws.com", irsa(pod("empty", "")).token().audience());
    }

    // Contract: docs/contract.md#annotations
    @Test
    void regionalStsAnnotationUsesGoBooleanSpellingsElseTheDefault() {
        for (String yes : List.of("1", "t", "T", "TRUE", "true", "True")) {
            serviceAccount("sa", Map.of(P + "role-arn", ARN, P + "sts-regional-endpoints", yes));
            assertTrue(irsa(pod("sa", "")).regionalSts(), yes);
        }
        for (String no : List.of("0", "f", "F", "FALSE", "false", "False")) {
            serviceAccount("sa", Map.of(P + "role-arn", ARN, P + "sts-regional-endpoints", no));
            assertEquals(false, resolve(IdentitySettings.builder().regionalSts(true).build(),
                    PodIdentityAssociations.NONE, pod("sa", "")).identity().regionalSts(), no);
        }
        serviceAccount("sa", Map.of(P + "role-arn", ARN, P + "sts-regional-endpoints", "yes"));
        assertEquals(true, resolve(IdentitySettings.builder().regionalSts(true).build(), PodIdentityAssociations.NONE,
                pod("sa", "")).identity().regionalSts(), "not a Go boolean → config default");
    }

    // Contract: docs/contract.md#annotations, docs/contract.md#warnings
    @Test
    void anArnThatDoesNotLookLikeARoleIsInjectedWithAWarning() {
        serviceAccount("sa", Map.of(P + "role-arn", "arn:aws:iam::123:user/bob"));

        Resolution resolution = resolve(IdentitySettings.defaults(), PodIdentityAssociations.NONE, pod("sa", ""));

        assertEquals("arn:aws:iam::123:user/bob", resolution.identity().credential());
        assertEquals(1, resolution.warnings().size());
        assertTrue(resolution.warnings().get(0).contains("does not look like an IAM role ARN"));
    }

    @Test
    void otherPartitionsAreValidRoleArns() {
        serviceAccount("cn", Map.of(P + "role-arn", "arn:aws-cn:iam::111122223333:role/path/app"));

        assertEquals(List.of(), resolve(IdentitySettings.defaults(), PodIdentityAssociations.NONE, pod("cn", ""))
                .warnings());
    }

    // Contract: docs/contract.md#annotations
    @Test
    void theAnnotationPrefixIsConfigurable() {
        serviceAccount("sa", Map.of("corp.example/role-arn", ARN, P + "audience", "ignored"));

        Identity identity = resolve(IdentitySettings.builder().annotationPrefix("corp.example").build(),
                PodIdentityAssociations.NONE, pod("sa", "")).identity();

        assertEquals(ARN, identity.credential());
        assertEquals("sts.amazonaws.com", identity.token().audience());
    }

    // Contract: docs/contract.md#annotations, docs/contract.md#precedence
    @Test
    void roleSessionNameAnnotationOverridesTheConfig() {
        serviceAccount("on", Map.of(P + "role-arn", ARN, P + "role-session-name", "pod-name"));
        serviceAccount("off", Map.of(P + "role-arn", ARN, P + "role-session-name", "none"));
        serviceAccount("default", Map.of(P + "role-arn", ARN));
        IdentitySettings podName = IdentitySettings.builder().roleSessionName(RoleSessionNameMode.POD_NAME).build();

        assertEquals("ns.on", irsa(pod("on", "")).roleSessionName().fallback());
        assertNull(resolve(podName, PodIdentityAssociations.NONE, pod("off", "")).identity().roleSessionName());
        assertEquals("ns.default",
                resolve(podName, PodIdentityAssociations.NONE, pod("default", "")).identity().roleSessionName().fallback());
    }

    @Test
    void regionComesFromTheSettings() {
        serviceAccount("sa", Map.of(P + "role-arn", ARN));

        assertEquals("eu-west-1", resolve(IdentitySettings.builder().region("eu-west-1").build(),
                PodIdentityAssociations.NONE, pod("sa", "")).identity().region());
    }

    // Contract: docs/contract.md#annotations
    @Test
    void skipAndIncludeContainersComeFromPodAnnotations() {
        serviceAccount("sa", Map.of(P + "role-arn", ARN, P + "skip-containers", "a"));

        Identity identity = irsa(pod("sa", "'" + P + "skip-containers':'b, c','" + P + "include-containers':'a,b'"));

        assertEquals(false, identity.containers().selects("b"));
        assertEquals(true, identity.containers().selects("a"), "skip-containers on the ServiceAccount is ignored");
        assertEquals(false, identity.containers().selects("d"));
    }

    // Contract: docs/contract.md#annotations, docs/contract.md#containers
    @Test
    void anIncludeContainersAnnotationPresentButEmptySelectsNoContainer() {
        serviceAccount("sa", Map.of(P + "role-arn", ARN));

        Identity empty = irsa(pod("sa", "'" + P + "include-containers':''"));
        Identity absent = irsa(pod("sa", ""));

        assertFalse(empty.containers().selects("a"), "present and empty: none (the AWS webhook: all)");
        assertTrue(absent.containers().selects("a"));
    }

    // Contract: docs/contract.md#identity-modes, docs/contract.md#annotations
    @Test
    void aBlankRoleArnIsAbsentAndSpacesAroundOneAreDropped() {
        serviceAccount("blank", Map.of(P + "role-arn", "   "));
        serviceAccount("spaced", Map.of(P + "role-arn", "  " + ARN + " "));

        Resolution blank = resolve(IdentitySettings.defaults(), PodIdentityAssociations.NONE, pod("blank", ""));

        assertNull(blank.identity(), "a blank role-arn selects nothing");
        assertEquals(List.of(), blank.warnings(), "and is no ARN to warn about");
        assertEquals(ARN, irsa(pod("spaced", "")).credential());
    }

    // Contract: docs/contract.md#annotations, docs/contract.md#warnings
    @Test
    void aRoleSessionNameAnnotationOtherThanPodNameOrNoneFallsBackToTheConfigWithAWarning() {
        serviceAccount("sa", Map.of(P + "role-arn", ARN, P + "role-session-name", "pod"));
        IdentitySettings podName = IdentitySettings.builder().roleSessionName(RoleSessionNameMode.POD_NAME).build();

        Resolution byDefault = resolve(IdentitySettings.defaults(), PodIdentityAssociations.NONE, pod("sa", ""));
        Resolution configured = resolve(podName, PodIdentityAssociations.NONE, pod("sa", ""));

        assertNull(byDefault.identity().roleSessionName(), "the configured default: none");
        assertEquals("ns.sa", configured.identity().roleSessionName().fallback(), "the configured default: pod-name");
        assertEquals(List.of("annotation " + P + "role-session-name of ServiceAccount ns/sa must be pod-name or none,"
                + " was 'pod'; using the configured default"), byDefault.warnings());
    }

    // Contract: docs/contract.md#identity-modes
    @Test
    void theAssociationsFileAloneDecidesPodIdentityEvenForAServiceAccountThatDoesNotExist() throws Exception {
        Resolution resolution = resolve(IdentitySettings.defaults(),
                associations("{\"identities\":[{\"namespace\":\"ns\",\"serviceAccount\":\"ghost\"}]}"),
                pod("ghost", ""));

        assertEquals(CredentialMode.POD_IDENTITY, resolution.identity().mode());
        assertEquals(List.of(), resolution.warnings(), "an answer that it does not exist is no failed lookup");
    }

    // Contract: docs/contract.md#annotations, docs/contract.md#volume
    @Test
    void thePodIdentityLabelKeepsItsPrefixWhateverTheAnnotationPrefix() throws Exception {
        serviceAccount("sa", Map.of());
        JsonNode input = json("{'metadata':{'name':'p'},'spec':{'serviceAccountName':'sa','containers':[{'name':'a'}]}}");
        PodView pod = TestJson.pod(input);
        Identity identity = resolve(IdentitySettings.builder().annotationPrefix("corp.example").build(),
                associations("{\"identities\":[{\"namespace\":\"ns\",\"serviceAccount\":\"sa\"}]}"), pod)
                .identity();

        JsonNode mutated = applyPatch(TestJson.patch(PodMutator.mutate(pod, identity).ops()), input);

        assertEquals("{\"eks.amazonaws.com/pod-identity\":\"enabled\"}", mutated.at("/metadata/labels").toString());
    }

    // Contract: docs/contract.md#precedence
    @Test
    void podIdentityWinsOverRoleArnAndUsesTheAgentAudience() throws Exception {
        serviceAccount("sa", Map.of(P + "role-arn", ARN, P + "audience", "other", P + "token-expiration", "3600",
                P + "sts-regional-endpoints", "true"));

        Identity identity = resolve(IdentitySettings.defaults(),
                associations("{\"identities\":[{\"namespace\":\"ns\",\"serviceAccount\":\"sa\"}]}"), pod("sa", ""))
                .identity();

        assertEquals(CredentialMode.POD_IDENTITY, identity.mode());
        assertEquals("http://169.254.170.23/v1/credentials", identity.credential());
        assertEquals("pods.eks.amazonaws.com", identity.token().audience());
        assertEquals(3600, identity.token().expirationSeconds(), "3600 is not jittered");
        assertTrue(identity.regionalSts());
        assertNull(drawn, "no random draw");
    }

    // Contract: docs/contract.md#precedence
    @Test
    void podIdentityJittersOnlyAnExactDay() throws Exception {
        serviceAccount("sa", Map.of());
        PodIdentityAssociations associations = associations(
                "{\"identities\":[{\"namespace\":\"ns\",\"serviceAccount\":\"sa\"}]}");

        long day = resolve(IdentitySettings.defaults(), associations, pod("sa", "")).identity().token().expirationSeconds();

        assertEquals(86401 - 7, day);
        assertEquals(79200, drawn[0]);
        assertEquals(86401, drawn[1], "upper bound inclusive of 86400");
        drawn = null;
        long explicitDay = resolve(IdentitySettings.defaults(), associations, pod("sa", "'" + P + "token-expiration':'86400'"))
                .identity().token().expirationSeconds();
        assertEquals(86401 - 7, explicitDay, "an explicit 86400 jitters too");
        drawn = null;
        long other = resolve(IdentitySettings.defaults(), associations, pod("sa", "'" + P + "token-expiration':'86399'"))
                .identity().token().expirationSeconds();
        assertEquals(86399, other);
        assertNull(drawn);
    }

    // Contract: docs/contract.md#lookup-failure, docs/contract.md#warnings
    @Test
    void podIdentityStillAppliesWhenTheLookupFails() throws Exception {
        ServiceAccountSource failing = ref -> {
            throw new LookupFailedException("API server unreachable");
        };
        IdentityResolver resolver = new IdentityResolver(IdentitySettings.defaults(), failing,
                associations("{\"Identities\":[{\"Namespace\":\"ns\",\"ServiceAccount\":\"sa\"}]}"),
                RoleMappingSource.NONE, random);

        Resolution resolution = resolved(resolver, pod("sa", ""));

        assertEquals(CredentialMode.POD_IDENTITY, resolution.identity().mode());
        assertEquals(1, resolution.warnings().size());
    }

    // Contract: docs/contract.md#lookup-failure
    @Test
    void aFailedLookupAdmitsWithAWarningByDefault() {
        ServiceAccountSource failing = ref -> {
            throw new LookupFailedException("timeout");
        };

        Resolution resolution = resolved(new IdentityResolver(IdentitySettings.defaults(), failing,
                PodIdentityAssociations.NONE, RoleMappingSource.NONE, random), pod("sa", ""));

        assertNull(resolution.identity());
        assertEquals(false, resolution.denied());
        assertEquals(List.of("ServiceAccount ns/sa lookup failed, pod admitted without AWS credentials"),
                resolution.warnings());
    }

    // Contract: docs/contract.md#lookup-failure
    @Test
    void aFailedLookupDeniesWhenConfigured() {
        ServiceAccountSource failing = ref -> {
            throw new LookupFailedException("timeout");
        };

        Resolution resolution = resolved(new IdentityResolver(
                IdentitySettings.builder().onLookupFailure(LookupFailurePolicy.DENY).build(), failing,
                PodIdentityAssociations.NONE, RoleMappingSource.NONE, random), pod("sa", ""));

        assertTrue(resolution.denied());
        assertTrue(resolution.denial().contains("ServiceAccount ns/sa could not be looked up (timeout)"));
    }

    /** A resolver whose mapping ConfigMap holds this config. */
    IdentityResolver withMapping(String config) throws Exception {
        RoleMappings mappings = RoleMappings.parse(config);
        return new IdentityResolver(IdentitySettings.builder().regionalSts(false).tokenExpiration(86400).build(),
                source, PodIdentityAssociations.NONE, () -> mappings, random);
    }

    @Test
    void theMappingGivesTheRoleOfUnannotatedAndNotYetCreatedServiceAccounts() throws Exception {
        serviceAccount("plain", Map.of());
        IdentityResolver resolver = withMapping("{\"ns/plain\":{\"RoleARN\":\"" + ARN + "\"},"
                + "\"*/later\":{\"RoleARN\":\"" + ARN + "-later\"}}");

        Resolution plain = resolved(resolver, pod("plain", ""));
        Resolution later = resolved(resolver, pod("later", ""));

        assertEquals(ARN, plain.identity().credential());
        assertEquals("mapping ConfigMap", plain.reason());
        assertEquals(ARN + "-later", later.identity().credential());
        assertEquals(List.of(), later.warnings(), "mapped, so not reported as missing");
    }

    // Contract: docs/contract.md#precedence
    @Test
    void theMappingRanksBelowTheServiceAccountAndThePodAndAboveTheConfig() throws Exception {
        String entry = "{\"RoleARN\":\"" + ARN + "-mapped\",\"Audience\":\"mapped\",\"UseRegionalSTS\":true,"
                + "\"TokenExpiration\":3600}";
        serviceAccount("bare", Map.of());
        serviceAccount("tuned", Map.of(P + "audience", "sa", P + "sts-regional-endpoints", "false",
                P + "token-expiration", "7200"));
        serviceAccount("own", Map.of(P + "role-arn", ARN));
        IdentityResolver resolver = withMapping("{\"ns/bare\":" + entry + ",\"ns/tuned\":" + entry
                + ",\"ns/own\":" + entry + "}");

        Identity bare = resolved(resolver, pod("bare", "")).identity();
        Identity tuned = resolved(resolver, pod("tuned", "")).identity();
        Identity pod = resolved(resolver, pod("tuned", "'" + P + "token-expiration':'1800'")).identity();
        Identity own = resolved(resolver, pod("own", "")).identity();

        // mapping > config
        assertEquals("mapped", bare.token().audience());
        assertTrue(bare.regionalSts());
        assertEquals(3600, bare.token().expirationSeconds());
        // ServiceAccount annotation > mapping
        assertEquals("sa", tuned.token().audience());
        assertEquals(false, tuned.regionalSts());
        assertEquals(7200, tuned.token().expirationSeconds());
        // pod annotation > ServiceAccount annotation
        assertEquals(1800, pod.token().expirationSeconds());
        // the ServiceAccount's own role-arn > mapping, and an entry it does not use does not tune it
        assertEquals(ARN, own.credential());
        assertEquals("sts.amazonaws.com", own.token().audience(), "only a mapped role takes the mapping's tuning");
    }

    static final RoleMappingSource UNREADABLE_MAPPING = () -> {
        throw new LookupFailedException("GET ConfigMap eks/pod-identity-webhook: HTTP 403 from the API server");
    };

    // Contract: docs/contract.md#mapping-configmap, docs/contract.md#lookup-failure
    @Test
    void aMappingThatCannotBeReadIsALookupFailureThatNamesTheConfigMap() {
        serviceAccount("plain", Map.of());
        IdentityResolver resolver = new IdentityResolver(IdentitySettings.defaults(), source, PodIdentityAssociations.NONE,
                UNREADABLE_MAPPING, random);

        Resolution resolution = resolved(resolver, pod("plain", ""));

        assertNull(resolution.identity());
        assertEquals(List.of("mapping ConfigMap for ServiceAccount ns/plain lookup failed, pod admitted without AWS"
                + " credentials"), resolution.warnings());
        assertEquals("lookup failed: GET ConfigMap eks/pod-identity-webhook: HTTP 403 from the API server",
                resolution.reason());
    }

    // Contract: docs/contract.md#lookup-failure
    @Test
    void aMappingThatCannotBeReadDeniesWhenConfigured() {
        serviceAccount("plain", Map.of());
        IdentityResolver resolver = new IdentityResolver(
                IdentitySettings.builder().onLookupFailure(LookupFailurePolicy.DENY).build(), source,
                PodIdentityAssociations.NONE, UNREADABLE_MAPPING, random);

        Resolution resolution = resolved(resolver, pod("plain", ""));

        assertTrue(resolution.denied());
        assertEquals("mapping ConfigMap for ServiceAccount ns/plain could not be looked up (GET ConfigMap"
                + " eks/pod-identity-webhook: HTTP 403 from the API server); the pod is denied so that its controller"
                + " retries", resolution.denial());
    }

    /**
     * In Pod Identity mode the mapping only tunes the token: as with a ServiceAccount that cannot be
     * read, the pod gets its credentials with a warning, whatever on-lookup-failure says.
     */
    // Contract: docs/contract.md#lookup-failure
    @Test
    void podIdentityStillAppliesWithAWarningWhenTheMappingCannotBeRead() throws Exception {
        serviceAccount("sa", Map.of(P + "token-expiration", "7200"));
        PodIdentityAssociations associations = associations(
                "{\"Identities\":[{\"Namespace\":\"ns\",\"ServiceAccount\":\"sa\"}]}");

        for (LookupFailurePolicy policy : LookupFailurePolicy.values()) {
            Resolution resolution = resolved(new IdentityResolver(
                    IdentitySettings.builder().onLookupFailure(policy).build(), source, associations, UNREADABLE_MAPPING,
                    random), pod("sa", ""));

            assertEquals(CredentialMode.POD_IDENTITY, resolution.identity().mode(), policy.name());
            assertEquals(7200, resolution.identity().token().expirationSeconds(), "the ServiceAccount still tunes it");
            assertEquals(List.of("mapping ConfigMap for ServiceAccount ns/sa lookup failed; token expiration and"
                    + " regional STS come from the ServiceAccount and the function's configuration"),
                    resolution.warnings(), policy.name());
        }
    }

    @Test
    void aMissingServiceAccountIsReported() {
        Resolution resolution = resolve(IdentitySettings.defaults(), PodIdentityAssociations.NONE, pod("ghost", ""));

        assertNull(resolution.identity());
        assertEquals(List.of("ServiceAccount ns/ghost not found, pod admitted without AWS credentials"),
                resolution.warnings());
    }
}
