package dev.podidentity.admission;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;

import dev.podidentity.mutation.PodView;

import java.io.IOException;

/**
 * Reads an {@link AdmissionReview} from the request body in one streaming pass: the review's
 * {@code apiVersion} and {@code kind}, the request fields that decide what to do, and the pod as a
 * {@link PodView}. Nothing else is built: {@code userInfo}, {@code oldObject}, {@code options} and
 * every pod field the rules do not read are skipped token by token.
 *
 * <pre>{@code
 * ObjectReader reviews = objectMapper.readerFor(AdmissionReview.class); // this reader, by AdmissionJson
 * AdmissionReview review = reviews.readValue(bodyBytes);
 * }</pre>
 *
 * <p>It never refuses what is well-formed JSON: what makes a body unusable is recorded in the
 * review (and turned into a 400 by {@link AdmissionReview#request}), what makes a pod unusable in the
 * request (a denial). Broken JSON and the parser's limits ({@link JsonLimits}) fail the read, as they
 * would for any Jackson read. A field that occurs twice counts with its last occurrence.
 *
 * <p>A deserializer of its own, not records bound by Jackson, because the pod inside is read as a
 * stream by {@link PodViewReader}, whose Javadoc gives the heap that saves, and because a body
 * Jackson could not bind must still be answered as the contract says (a denial or a 400 naming the
 * field).
 */
public final class AdmissionReviewReader extends StdDeserializer<AdmissionReview> {
    private static final long serialVersionUID = 1L;

    public AdmissionReviewReader() {
        super(AdmissionReview.class);
    }

    @Override
    public AdmissionReview deserialize(JsonParser p, DeserializationContext context) throws IOException {
        if (p.currentToken() != JsonToken.START_OBJECT) {
            p.skipChildren();
            return new AdmissionReview(false, null, null, null);
        }
        String apiVersion = null;
        String kind = null;
        RequestFields request = null;
        String requestProblem = null;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "apiVersion" -> apiVersion = textOrNull(p);
                case "kind" -> kind = textOrNull(p);
                case "request" -> {
                    request = null;
                    requestProblem = null;
                    if (value == JsonToken.START_OBJECT) {
                        request = readRequest(p);
                    } else if (value != JsonToken.VALUE_NULL) {
                        requestProblem = "request of the AdmissionReview must be an object";
                        p.skipChildren();
                    }
                }
                default -> p.skipChildren();
            }
        }
        AdmissionRequest admissionRequest = request == null ? null : request.toRequest(
                orDefault(apiVersion, AdmissionRequest.DEFAULT_API_VERSION), orDefault(kind, AdmissionRequest.DEFAULT_KIND));
        return new AdmissionReview(true, kind, admissionRequest, requestProblem);
    }

    /** The request's fields until the review's own apiVersion and kind are known. */
    private static final class RequestFields {
        String uid;
        String operation;
        String kindGroup;
        String kindKind;
        String resource;
        String subResource;
        String namespace;
        PodView pod;
        String podProblem = UnreadablePodException.MISSING_OBJECT;

        AdmissionRequest toRequest(String apiVersion, String kind) {
            return new AdmissionRequest(apiVersion, kind, uid, operation, kindGroup, kindKind, resource, subResource,
                    namespace, pod, pod == null ? podProblem : null);
        }
    }

    private static RequestFields readRequest(JsonParser p) throws IOException {
        RequestFields request = new RequestFields();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String field = p.currentName();
            JsonToken value = p.nextToken();
            switch (field) {
                case "uid" -> request.uid = textOrNull(p);
                case "operation" -> request.operation = textOrNull(p);
                case "subResource" -> request.subResource = textOrNull(p);
                case "namespace" -> request.namespace = textOrNull(p);
                case "kind" -> {
                    request.kindGroup = null;
                    request.kindKind = null;
                    if (value == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            String kindField = p.currentName();
                            p.nextToken();
                            switch (kindField) {
                                case "group" -> request.kindGroup = textOrNull(p);
                                case "kind" -> request.kindKind = textOrNull(p);
                                default -> p.skipChildren();
                            }
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                case "resource" -> {
                    request.resource = null;
                    if (value == JsonToken.START_OBJECT) {
                        while (p.nextToken() == JsonToken.FIELD_NAME) {
                            boolean isResource = p.currentName().equals("resource");
                            p.nextToken();
                            if (isResource) {
                                request.resource = textOrNull(p);
                            } else {
                                p.skipChildren();
                            }
                        }
                    } else {
                        p.skipChildren();
                    }
                }
                case "object" -> {
                    // Read whatever the kind: it is only used for a pod CREATE, known once all is read.
                    request.pod = null;
                    try {
                        request.pod = PodViewReader.read(p);
                    } catch (UnreadablePodException unreadable) {
                        request.podProblem = unreadable.getMessage();
                    }
                }
                default -> p.skipChildren();
            }
        }
        return request;
    }

    /** The string under the parser, or null (skipping the value) when it is anything else. */
    private static String textOrNull(JsonParser p) throws IOException {
        if (p.currentToken() == JsonToken.VALUE_STRING) {
            return p.getText();
        }
        p.skipChildren();
        return null;
    }

    private static String orDefault(String value, String fallback) {
        return value == null || value.isEmpty() ? fallback : value;
    }
}
