package dev.podidentity.mutation;

/**
 * One RFC 6902 {@code add} operation. The function never emits anything but {@code add}: it only
 * appends to arrays ({@code /-}) or creates a member that is absent, so nothing it does not know
 * about can be lost.
 *
 * <pre>{@code
 * new PatchOp("/spec/containers/0/env/-", new PatchValue.EnvVar("AWS_REGION", "eu-west-1"));
 * }</pre>
 *
 * @param path the JSON Pointer (RFC 6901) of the target
 * @param value the value added there
 */
public record PatchOp(String path, PatchValue value) {

    /** RFC 6901 escaping of one reference token: {@code ~} → {@code ~0}, {@code /} → {@code ~1}. */
    public static String escape(String token) {
        return token.replace("~", "~0").replace("/", "~1");
    }
}
