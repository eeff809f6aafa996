package dev.emend.phase.grpc;

import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import dev.emend.api.text.TextRules;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;

import java.util.List;
import java.util.Map;

/**
 * Applies Emend's text policy ({@link TextRules}) to every string field of every message a phase
 * service receives over gRPC, before the call reaches the service: callers that bypass the gateway
 * get the same rule, as {@code INVALID_ARGUMENT} naming the field path (e.g.
 * {@code requests[0].target_new}). Nothing is applied or stored for a refused message.
 */
@GlobalInterceptor
@ApplicationScoped
public class TextRulesInterceptor implements ServerInterceptor {
    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                      ServerCallHandler<Q, R> next) {
        ServerCall.Listener<Q> delegate = next.startCall(call, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(delegate) {
            private boolean refused;

            @Override
            public void onMessage(Q message) {
                String problem = message instanceof Message m ? violation(m, "") : null;
                if (problem != null) {
                    refused = true;
                    call.close(Status.INVALID_ARGUMENT.withDescription(problem), new Metadata());
                    return;
                }
                super.onMessage(message);
            }

            @Override
            public void onHalfClose() {
                if (!refused) {
                    super.onHalfClose();
                }
            }
        };
    }

    /** The first violation in {@code m}'s string fields (recursively), as "path: what. advice", or null. */
    static String violation(Message m, String path) {
        for (Map.Entry<FieldDescriptor, Object> e : m.getAllFields().entrySet()) {
            FieldDescriptor f = e.getKey();
            String at = path.isEmpty() ? f.getName() : path + "." + f.getName();
            if (f.isRepeated()) {
                List<?> items = (List<?>) e.getValue();
                for (int i = 0; i < items.size(); i++) {
                    String v = check(f, items.get(i), at + "[" + i + "]");
                    if (v != null) {
                        return v;
                    }
                }
            } else {
                String v = check(f, e.getValue(), at);
                if (v != null) {
                    return v;
                }
            }
        }
        return null;
    }

    private static String check(FieldDescriptor f, Object value, String at) {
        if (f.getJavaType() == FieldDescriptor.JavaType.STRING) {
            String v = TextRules.violation((String) value);
            return v == null ? null : at + ": " + v + ". " + TextRules.ADVICE;
        }
        if (f.getJavaType() == FieldDescriptor.JavaType.MESSAGE) {
            return violation((Message) value, at);
        }
        return null;
    }
}
