package dev.emend.gateway.rest;

import jakarta.ws.rs.ext.Provider;
import jakarta.ws.rs.ext.ReaderInterceptor;
import jakarta.ws.rs.ext.ReaderInterceptorContext;

import java.io.IOException;

/** Checks every string of a request body against {@link TextPolicy} right after it is deserialized. */
@Provider
public class TextPolicyReader implements ReaderInterceptor {
    @Override
    public Object aroundReadFrom(ReaderInterceptorContext ctx) throws IOException {
        Object body = ctx.proceed();
        TextPolicy.checkTree(body, "");
        return body;
    }
}
