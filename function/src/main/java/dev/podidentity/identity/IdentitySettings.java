package dev.podidentity.identity;

import dev.podidentity.config.LookupFailurePolicy;
import dev.podidentity.config.RoleSessionNameMode;

import java.util.Objects;

/**
 * The configured defaults identity resolution starts from (docs/contract.md#configuration), for one
 * cluster.
 *
 * <pre>{@code
 * IdentitySettings settings = IdentitySettings.builder().region("eu-west-1").build();
 * settings.annotation("role-arn"); // "eks.amazonaws.com/role-arn"
 * }</pre>
 *
 * @param annotationPrefix prefix of every ServiceAccount and pod annotation key
 * @param tokenAudience default IRSA token audience
 * @param tokenMountPath where IRSA tokens are mounted
 * @param tokenExpiration default token lifetime in seconds (raised to 600)
 * @param region region injected as {@code AWS_DEFAULT_REGION}/{@code AWS_REGION}, or {@code null}
 * @param regionalSts default for {@code AWS_STS_REGIONAL_ENDPOINTS=regional}
 * @param roleSessionName default for {@code AWS_ROLE_SESSION_NAME}
 * @param onLookupFailure what to do when a ServiceAccount cannot be looked up
 * @param podIdentity the EKS Pod Identity (container credentials) settings
 */
public record IdentitySettings(String annotationPrefix, String tokenAudience, String tokenMountPath,
        long tokenExpiration, String region, boolean regionalSts, RoleSessionNameMode roleSessionName,
        LookupFailurePolicy onLookupFailure, PodIdentitySettings podIdentity) {

    /** The IRSA volume name and token file name; fixed, as in the AWS webhook. */
    public static final String IRSA_VOLUME_NAME = "aws-iam-token";
    public static final String IRSA_TOKEN_PATH = "token";

    public IdentitySettings {
        requireText(annotationPrefix, "annotationPrefix");
        requireText(tokenAudience, "tokenAudience");
        requireText(tokenMountPath, "tokenMountPath");
        Objects.requireNonNull(roleSessionName, "roleSessionName");
        Objects.requireNonNull(onLookupFailure, "onLookupFailure");
        Objects.requireNonNull(podIdentity, "podIdentity");
        if (region != null && region.isBlank()) {
            region = null;
        }
        if (tokenExpiration < TokenProjection.MIN_EXPIRATION_SECONDS) {
            tokenExpiration = TokenProjection.MIN_EXPIRATION_SECONDS;
        }
    }

    /** The AWS webhook's defaults. */
    public static IdentitySettings defaults() {
        return builder().build();
    }

    /** Settings that start from the AWS webhook's defaults: set only what differs. */
    public static Builder builder() {
        return new Builder();
    }

    /** {@code <prefix>/<name>}. */
    public String annotation(String name) {
        return annotationPrefix + "/" + name;
    }

    /**
     * Collects settings by name; every one left unset keeps the AWS webhook's default. The record's
     * checks run in {@link #build()}.
     *
     * <pre>{@code
     * IdentitySettings settings = IdentitySettings.builder().region("eu-west-1").regionalSts(true).build();
     * }</pre>
     */
    public static final class Builder {
        private String annotationPrefix = "eks.amazonaws.com";
        private String tokenAudience = "sts.amazonaws.com";
        private String tokenMountPath = "/var/run/secrets/eks.amazonaws.com/serviceaccount";
        private long tokenExpiration = 86400;
        private String region;
        private boolean regionalSts;
        private RoleSessionNameMode roleSessionName = RoleSessionNameMode.NONE;
        private LookupFailurePolicy onLookupFailure = LookupFailurePolicy.ADMIT;
        private PodIdentitySettings podIdentity = PodIdentitySettings.defaults();

        private Builder() {
        }

        public Builder annotationPrefix(String value) {
            annotationPrefix = value;
            return this;
        }

        public Builder tokenAudience(String value) {
            tokenAudience = value;
            return this;
        }

        public Builder tokenMountPath(String value) {
            tokenMountPath = value;
            return this;
        }

        public Builder tokenExpiration(long seconds) {
            tokenExpiration = seconds;
            return this;
        }

        /** @param value the region, or null for none */
        public Builder region(String value) {
            region = value;
            return this;
        }

        public Builder regionalSts(boolean value) {
            regionalSts = value;
            return this;
        }

        public Builder roleSessionName(RoleSessionNameMode value) {
            roleSessionName = value;
            return this;
        }

        public Builder onLookupFailure(LookupFailurePolicy value) {
            onLookupFailure = value;
            return this;
        }

        public Builder podIdentity(PodIdentitySettings value) {
            podIdentity = value;
            return this;
        }

        public IdentitySettings build() {
            return new IdentitySettings(annotationPrefix, tokenAudience, tokenMountPath, tokenExpiration, region,
                    regionalSts, roleSessionName, onLookupFailure, podIdentity);
        }
    }

    static void requireText(String value, String name) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank, was '" + value + "'");
        }
    }

    /**
     * EKS Pod Identity settings: the AWS webhook's {@code --container-credentials-*} flags.
     *
     * @param audience token audience the Pod Identity agent expects
     * @param mountPath where the token volume is mounted
     * @param volumeName the token volume's name
     * @param tokenPath the token's file name inside the volume
     * @param fullUri the agent's credentials endpoint
     */
    public record PodIdentitySettings(String audience, String mountPath, String volumeName, String tokenPath,
            String fullUri) {

        public PodIdentitySettings {
            requireText(audience, "audience");
            requireText(mountPath, "mountPath");
            requireText(volumeName, "volumeName");
            requireText(tokenPath, "tokenPath");
            requireText(fullUri, "fullUri");
        }

        public static PodIdentitySettings defaults() {
            return new PodIdentitySettings("pods.eks.amazonaws.com",
                    "/var/run/secrets/pods.eks.amazonaws.com/serviceaccount", "eks-pod-identity-token",
                    "eks-pod-identity-token", "http://169.254.170.23/v1/credentials");
        }
    }
}
