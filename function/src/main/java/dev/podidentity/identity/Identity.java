package dev.podidentity.identity;

import java.util.Objects;

/**
 * Everything a pod must receive to act as an AWS identity: the outcome of identity resolution and
 * the whole input of the mutation ({@code mutation.PodMutator}) besides the pod itself.
 *
 * <pre>{@code
 * Identity irsa = Identity.irsa("arn:aws:iam::111122223333:role/app",
 *         new TokenProjection("aws-iam-token", "/var/run/secrets/eks.amazonaws.com/serviceaccount",
 *                 "token", "sts.amazonaws.com", 86400))
 *     .withRegion("eu-west-1")
 *     .withRegionalSts(true);
 * }</pre>
 *
 * @param mode IRSA or Pod Identity
 * @param credential the role ARN (IRSA) or the Pod Identity agent URI
 * @param token the projected token volume and its mount
 * @param regionalSts inject {@code AWS_STS_REGIONAL_ENDPOINTS=regional}
 * @param region the region for {@code AWS_DEFAULT_REGION}/{@code AWS_REGION}, or {@code null} for none
 * @param roleSessionName inject {@code AWS_ROLE_SESSION_NAME} (IRSA only), or {@code null} for none
 * @param containers which containers are mutated
 */
public record Identity(CredentialMode mode, String credential, TokenProjection token, boolean regionalSts,
        String region, RoleSessionName roleSessionName, ContainerSelector containers) {

    public Identity {
        Objects.requireNonNull(mode, "mode");
        TokenProjection.requireText(credential, "credential");
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(containers, "containers");
        if (region != null && region.isBlank()) {
            region = null;
        }
        if (mode == CredentialMode.POD_IDENTITY) {
            roleSessionName = null; // the Pod Identity agent names the session itself
        }
    }

    /** An IRSA identity with no region, no regional STS and no session name, for every container. */
    public static Identity irsa(String roleArn, TokenProjection token) {
        return new Identity(CredentialMode.IRSA, roleArn, token, false, null, null, ContainerSelector.ALL);
    }

    /** A Pod Identity identity with no region and no regional STS, for every container. */
    public static Identity podIdentity(String agentUri, TokenProjection token) {
        return new Identity(CredentialMode.POD_IDENTITY, agentUri, token, false, null, null, ContainerSelector.ALL);
    }

    public Identity withRegion(String newRegion) {
        return new Identity(mode, credential, token, regionalSts, newRegion, roleSessionName, containers);
    }

    public Identity withRegionalSts(boolean newRegionalSts) {
        return new Identity(mode, credential, token, newRegionalSts, region, roleSessionName, containers);
    }

    public Identity withRoleSessionName(RoleSessionName newRoleSessionName) {
        return new Identity(mode, credential, token, regionalSts, region, newRoleSessionName, containers);
    }

    public Identity withContainers(ContainerSelector newContainers) {
        return new Identity(mode, credential, token, regionalSts, region, roleSessionName, newContainers);
    }
}
