package dev.podidentity.identity;

import dev.podidentity.config.LookupFailurePolicy;
import dev.podidentity.config.RoleSessionNameMode;
import dev.podidentity.serviceaccount.LookupFailedException;
import dev.podidentity.serviceaccount.LookupShedException;
import dev.podidentity.serviceaccount.ServiceAccount;
import dev.podidentity.serviceaccount.ServiceAccountRef;
import dev.podidentity.serviceaccount.ServiceAccountSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.random.RandomGenerator;

/**
 * Decides which identity a pod gets (docs/contract.md#identity-modes): Pod Identity association
 * first, then the ServiceAccount's {@code role-arn} annotation, then the mapping ConfigMap; and with
 * which audience, token lifetime, regional STS setting and session name, following the precedence
 * rules (docs/contract.md#precedence) written next to the code below.
 *
 * <pre>{@code
 * var resolver = new IdentityResolver(IdentitySettings.defaults(), serviceAccounts,
 *         PodIdentityAssociations.NONE, RoleMappingSource.NONE, RandomGenerator.getDefault());
 * Resolution resolution = resolver.resolve("payments", "app", Map.of()); // namespace, ServiceAccount, pod annotations
 * }</pre>
 */
public final class IdentityResolver {

    /** Pod Identity tokens that would all expire after exactly a day are spread over [22 h, 24 h]. */
    static final long JITTERED_EXPIRATION = 86400;
    static final long JITTER_FLOOR = 79200;

    private final IdentitySettings settings;
    private final ServiceAccountSource serviceAccounts;
    private final PodIdentityAssociations associations;
    private final RoleMappingSource mappings;
    private final RandomGenerator random;
    /** The annotation names with the configured prefix, made once rather than on every admission. */
    private final String roleArnKey;
    private final String audienceKey;
    private final String sessionNameKey;
    private final String expirationKey;
    private final String regionalStsKey;
    private final String skipContainersKey;
    private final String includeContainersKey;
    /** Role ARNs checked against the pattern; bounded, as annotations are user input. */
    private final Map<String, Boolean> checkedRoleArns = new ConcurrentHashMap<>();
    private static final int MAX_CHECKED_ROLE_ARNS = 4096;

    public IdentityResolver(IdentitySettings settings, ServiceAccountSource serviceAccounts,
            PodIdentityAssociations associations, RoleMappingSource mappings, RandomGenerator random) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.serviceAccounts = Objects.requireNonNull(serviceAccounts, "serviceAccounts");
        this.associations = Objects.requireNonNull(associations, "associations");
        this.mappings = Objects.requireNonNull(mappings, "mappings");
        this.random = Objects.requireNonNull(random, "random");
        this.roleArnKey = settings.annotation("role-arn");
        this.audienceKey = settings.annotation("audience");
        this.sessionNameKey = settings.annotation("role-session-name");
        this.expirationKey = settings.annotation("token-expiration");
        this.regionalStsKey = settings.annotation("sts-regional-endpoints");
        this.skipContainersKey = settings.annotation("skip-containers");
        this.includeContainersKey = settings.annotation("include-containers");
    }

    public IdentitySettings settings() {
        return settings;
    }

    /**
     * @param namespace the namespace from the admission request (a pod made from
     *     {@code generateName} by a controller may carry none itself)
     * @param serviceAccountName the pod's ServiceAccount
     * @param podAnnotations the pod's annotations, which may tune its token and containers
     */
    public Resolution resolve(String namespace, String serviceAccountName, Map<String, String> podAnnotations) {
        ServiceAccountRef ref = new ServiceAccountRef(namespace, serviceAccountName);
        List<String> warnings = new ArrayList<>();
        // Mode 1, Pod Identity, is decided by the association file alone; the ServiceAccount only
        // tunes it, so a failed lookup does not stop it.
        boolean podIdentity = associations.contains(ref);

        ServiceAccount serviceAccount;
        try {
            serviceAccount = serviceAccounts.find(ref).orElse(null);
        } catch (LookupFailedException e) {
            if (podIdentity) {
                warnings.add("ServiceAccount " + ref + " lookup failed; token expiration and regional STS"
                        + " come from the function's configuration");
                return podIdentity(ref, podAnnotations, Map.of(), null, warnings);
            }
            return lookupFailed("ServiceAccount " + ref, e, warnings);
        }
        Map<String, String> annotations = serviceAccount == null ? Map.of() : serviceAccount.annotations();

        if (podIdentity) {
            return podIdentity(ref, podAnnotations, annotations, mappingOrNull(ref, warnings), warnings);
        }
        // Mode 2, IRSA from the ServiceAccount's role-arn annotation.
        Optional<String> roleArn = AnnotationValues.nonBlank(annotations.get(roleArnKey));
        if (roleArn.isPresent()) {
            return irsa(ref, podAnnotations, annotations, roleArn.get(), null, "role-arn annotation", warnings);
        }
        // Mode 3, IRSA from the mapping ConfigMap (it may map ServiceAccounts not created yet).
        RoleMapping mapping;
        try {
            mapping = mappings.current().find(ref).orElse(null);
        } catch (LookupFailedException e) {
            return lookupFailed("mapping ConfigMap for ServiceAccount " + ref, e, warnings);
        }
        if (mapping != null) {
            return irsa(ref, podAnnotations, annotations, mapping.roleArn(), mapping, "mapping ConfigMap", warnings);
        }
        if (serviceAccount == null) {
            warnings.add("ServiceAccount " + ref + " not found, pod admitted without AWS credentials");
            return Resolution.nothing("service account not found", warnings);
        }
        return Resolution.nothing("service account has no role", warnings);
    }

    /** Whether the ARN matches {@link AnnotationValues#ROLE_ARN}, remembered: every pod of a ServiceAccount asks again. */
    private boolean looksLikeRoleArn(String roleArn) {
        Boolean known = checkedRoleArns.get(roleArn);
        if (known == null) {
            known = AnnotationValues.ROLE_ARN.matcher(roleArn).matches();
            if (checkedRoleArns.size() < MAX_CHECKED_ROLE_ARNS) {
                checkedRoleArns.put(roleArn, known);
            }
        }
        return known;
    }

    /**
     * No known answer: admit with a warning, or deny so that the pod's controller retries.
     *
     * @param what what could not be read: {@code ServiceAccount ns/sa}, or the mapping ConfigMap for it
     */
    private Resolution lookupFailed(String what, LookupFailedException e, List<String> warnings) {
        if (settings.onLookupFailure() == LookupFailurePolicy.DENY) {
            return Resolution.deny(what + " could not be looked up (" + e.getMessage()
                    + "); the pod is denied so that its controller retries",
                    e instanceof LookupShedException ? "lookup shed" : "lookup failed");
        }
        if (e instanceof LookupShedException) {
            // Say that the function is overloaded, not that the API server failed: a retry may work.
            warnings.add(what + " not looked up: too many lookups in flight to the API server,"
                    + " pod admitted without AWS credentials");
            return Resolution.nothing("lookup shed: " + e.getMessage(), warnings);
        }
        warnings.add(what + " lookup failed, pod admitted without AWS credentials");
        return Resolution.nothing("lookup failed: " + e.getMessage(), warnings);
    }

    /**
     * The mapping only tunes Pod Identity, so when it cannot be read the pod still gets its
     * credentials, tuned by the ServiceAccount and the configuration: as when the ServiceAccount
     * cannot be read, a warning says so, and {@code on-lookup-failure} does not deny.
     */
    private RoleMapping mappingOrNull(ServiceAccountRef ref, List<String> warnings) {
        try {
            return mappings.current().find(ref).orElse(null);
        } catch (LookupFailedException e) {
            warnings.add("mapping ConfigMap for ServiceAccount " + ref + " lookup failed; token expiration and"
                    + " regional STS come from the ServiceAccount and the function's configuration");
            return null;
        }
    }

    private Resolution irsa(ServiceAccountRef ref, Map<String, String> podAnnotations, Map<String, String> annotations, String roleArn,
            RoleMapping mapping, String reason, List<String> warnings) {
        if (!looksLikeRoleArn(roleArn)) {
            // Still injected, as the AWS webhook does: partitions and formats evolve faster than regexes.
            warnings.add("role ARN '" + roleArn + "' of ServiceAccount " + ref
                    + " does not look like an IAM role ARN; injected as it is");
        }
        // audience: ServiceAccount annotation > mapping entry > config; empty means "not set" (the
        // AWS webhook emitted an empty audience, which STS refuses).
        String audience = AnnotationValues.nonBlank(annotations.get(audienceKey))
                .or(() -> Optional.ofNullable(mapping == null ? null : mapping.audience()))
                .orElse(settings.tokenAudience());
        TokenProjection token = new TokenProjection(IdentitySettings.IRSA_VOLUME_NAME, settings.tokenMountPath(),
                IdentitySettings.IRSA_TOKEN_PATH, audience, expiration(podAnnotations, annotations, mapping));
        // session name: ServiceAccount annotation (pod-name | none) > config
        String sessionAnnotation = annotations.get(sessionNameKey);
        RoleSessionNameMode sessionMode = RoleSessionNameMode.parse(sessionAnnotation).orElse(settings.roleSessionName());
        if (sessionAnnotation != null && RoleSessionNameMode.parse(sessionAnnotation).isEmpty()) {
            warnings.add("annotation " + sessionNameKey + " of ServiceAccount " + ref
                    + " must be pod-name or none, was '" + sessionAnnotation + "'; using the configured default");
        }
        RoleSessionName sessionName = sessionMode == RoleSessionNameMode.POD_NAME
                ? RoleSessionName.forServiceAccount(ref.namespace(), ref.name())
                : null;
        Identity identity = new Identity(CredentialMode.IRSA, roleArn, token, regionalSts(annotations, mapping),
                settings.region(), sessionName, containers(podAnnotations));
        return Resolution.inject(identity, reason, warnings);
    }

    private Resolution podIdentity(ServiceAccountRef ref, Map<String, String> podAnnotations, Map<String, String> annotations,
            RoleMapping mapping, List<String> warnings) {
        IdentitySettings.PodIdentitySettings pi = settings.podIdentity();
        long expiration = expiration(podAnnotations, annotations, mapping);
        // Spread refreshes of day-long tokens, like EKS: only the exact default of a day jitters.
        if (expiration == JITTERED_EXPIRATION) {
            expiration = random.nextLong(JITTER_FLOOR, JITTERED_EXPIRATION + 1);
        }
        // The audience is always the agent's: the ServiceAccount's audience annotation is for STS.
        TokenProjection token = new TokenProjection(pi.volumeName(), pi.mountPath(), pi.tokenPath(), pi.audience(),
                expiration);
        Identity identity = new Identity(CredentialMode.POD_IDENTITY, pi.fullUri(), token,
                regionalSts(annotations, mapping),
                settings.region(), null, containers(podAnnotations));
        return Resolution.inject(identity, "pod identity association " + ref, warnings);
    }

    /**
     * Token lifetime: pod annotation > ServiceAccount annotation > mapping entry > config; an invalid
     * value falls through to the next source; anything below 600 s becomes 600 s.
     */
    private long expiration(Map<String, String> podAnnotations, Map<String, String> annotations, RoleMapping mapping) {
        long seconds = AnnotationValues.parseSeconds(podAnnotations.get(expirationKey))
                .or(() -> AnnotationValues.parseSeconds(annotations.get(expirationKey)))
                .or(() -> Optional.ofNullable(mapping == null ? null : mapping.tokenExpiration()))
                .orElse(settings.tokenExpiration());
        return Math.max(seconds, TokenProjection.MIN_EXPIRATION_SECONDS);
    }

    /** Regional STS: ServiceAccount annotation (Go ParseBool spellings) > mapping entry > config. */
    private boolean regionalSts(Map<String, String> annotations, RoleMapping mapping) {
        return AnnotationValues.parseBool(annotations.get(regionalStsKey))
                .or(() -> Optional.ofNullable(mapping == null ? null : mapping.regionalSts()))
                .orElse(settings.regionalSts());
    }

    private ContainerSelector containers(Map<String, String> podAnnotations) {
        return ContainerSelector.parse(podAnnotations.get(skipContainersKey),
                podAnnotations.get(includeContainersKey));
    }
}
