package dev.podidentity.identity;

/**
 * One entry of the mapping ConfigMap: the role a ServiceAccount gets without being annotated,
 * with optional overrides ({@code null} means "not set here, use the next source").
 *
 * <pre>{@code
 * new RoleMapping("arn:aws:iam::111122223333:role/app", null, Boolean.TRUE, 3600L);
 * }</pre>
 *
 * @param roleArn the IAM role ARN
 * @param audience the token audience, or {@code null}
 * @param regionalSts whether to inject {@code AWS_STS_REGIONAL_ENDPOINTS}, or {@code null}
 * @param tokenExpiration the token lifetime in seconds, or {@code null}
 */
record RoleMapping(String roleArn, String audience, Boolean regionalSts, Long tokenExpiration) {
}
