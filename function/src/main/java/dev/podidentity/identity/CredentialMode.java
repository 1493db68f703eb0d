package dev.podidentity.identity;

/**
 * How a pod receives AWS credentials, and the two environment variables that carry them.
 *
 * <pre>{@code
 * CredentialMode.IRSA.credentialVariable();   // "AWS_ROLE_ARN"
 * CredentialMode.IRSA.tokenFileVariable();    // "AWS_WEB_IDENTITY_TOKEN_FILE"
 * }</pre>
 */
public enum CredentialMode {
    /** IAM Roles for Service Accounts: the SDK calls {@code sts:AssumeRoleWithWebIdentity}. */
    IRSA("AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "sts_web_identity"),
    /** EKS Pod Identity: the SDK asks the node-local Pod Identity agent for container credentials. */
    POD_IDENTITY("AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "container_credentials");

    private final String credentialVariable;
    private final String tokenFileVariable;
    private final String metricName;

    CredentialMode(String credentialVariable, String tokenFileVariable, String metricName) {
        this.credentialVariable = credentialVariable;
        this.tokenFileVariable = tokenFileVariable;
        this.metricName = metricName;
    }

    /** {@code AWS_ROLE_ARN} or {@code AWS_CONTAINER_CREDENTIALS_FULL_URI}. */
    public String credentialVariable() {
        return credentialVariable;
    }

    /** The variable that names the token file for this mode. */
    public String tokenFileVariable() {
        return tokenFileVariable;
    }

    /** The name used in logs and metrics; the same words the AWS webhook uses. */
    public String metricName() {
        return metricName;
    }
}
