package dev.podidentity.mutation;

import dev.podidentity.identity.TokenProjection;

import java.util.List;

/**
 * A value the function adds to a pod: only the handful of shapes the mutation emits. Plain data;
 * the admission package writes them as JSON.
 *
 * <pre>{@code
 * PatchValue env = new PatchValue.EnvVar("AWS_REGION", "eu-west-1");
 * PatchValue mount = new PatchValue.VolumeMount("aws-iam-token", "/var/run/secrets/eks.amazonaws.com/serviceaccount");
 * }</pre>
 */
public sealed interface PatchValue {

    /** {@code {"name": …, "value": …}} */
    record EnvVar(String name, String value) implements PatchValue {
    }

    /** {@code {"name": …, "valueFrom": {"fieldRef": {"fieldPath": …}}}}: a Downward API variable. */
    record FieldRefEnvVar(String name, String fieldPath) implements PatchValue {
    }

    /** {@code {"name": …, "mountPath": …, "readOnly": true}} */
    record VolumeMount(String name, String mountPath) implements PatchValue {
    }

    /**
     * The projected ServiceAccount token volume: {@code {"name": …, "projected": {"sources":
     * [{"serviceAccountToken": {"audience": …, "expirationSeconds": …, "path": …}}]}}}.
     */
    record TokenVolume(TokenProjection token) implements PatchValue {
    }

    /** A JSON string. */
    record Text(String value) implements PatchValue {
    }

    /** A JSON array of values: used when the array it appends to does not exist yet. */
    record Array(List<PatchValue> items) implements PatchValue {
        public Array {
            items = List.copyOf(items);
        }
    }

    /** A JSON object with one member: used when the map it adds to does not exist yet. */
    record Member(String key, PatchValue value) implements PatchValue {
    }
}
