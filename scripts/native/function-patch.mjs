// Adds one call to tfjs-node's binding before it is built here: emohealRegisterFunction(Uint8Array) registers a
// serialized TensorFlow FunctionDef in the binding's eager context, after which the function runs as one op
// through the binding's own executeOp. The engine's small layers run their forward and backward as such
// functions: TensorFlow's graph executor costs a few microseconds a node where an eager op through the binding
// costs ~30-50 µs, and that per-op cost, not the arithmetic, sets the speed of these models. Where the binding
// comes from tfjs-node's own installer (a prebuilt binary), the call is absent and the engine runs the same
// operations eagerly (src-main/engine/executors/eager-ops.ts).
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

const accessor = `
  // EmoHeal Workstation: the eager context, for emohealRegisterFunction.
  TFE_Context *EmohealContext() const { return tfe_context_; }
`

const registerFunction = `
// EmoHeal Workstation: registers a serialized FunctionDef in the eager context (see scripts/native/function-patch.mjs).
static napi_value EmohealRegisterFunction(napi_env env, napi_callback_info info) {
  napi_status nstatus;
  size_t argc = 1;
  napi_value args[1];
  napi_value js_this;
  nstatus = napi_get_cb_info(env, info, &argc, args, &js_this, nullptr);
  ENSURE_NAPI_OK_RETVAL(env, nstatus, nullptr);
  bool is_typed_array = false;
  if (argc >= 1) {
    nstatus = napi_is_typedarray(env, args[0], &is_typed_array);
    ENSURE_NAPI_OK_RETVAL(env, nstatus, nullptr);
  }
  if (!is_typed_array) {
    NAPI_THROW_ERROR(env, "%s", "emohealRegisterFunction() expects a Uint8Array");
    return nullptr;
  }
  napi_typedarray_type type;
  size_t length;
  void *data;
  napi_value buffer;
  size_t offset;
  nstatus = napi_get_typedarray_info(env, args[0], &type, &length, &data, &buffer, &offset);
  ENSURE_NAPI_OK_RETVAL(env, nstatus, nullptr);
  TFJSBackend *const backend = GetTFJSBackend(env);
  if (!backend) return nullptr;
  TF_AutoStatus tf_status;
  TFE_ContextAddFunctionDef(backend->EmohealContext(), static_cast<const char *>(data), length,
                            tf_status.status);
  ENSURE_TF_OK_RETVAL(env, tf_status, nullptr);
  napi_value result;
  nstatus = napi_get_undefined(env, &result);
  ENSURE_NAPI_OK_RETVAL(env, nstatus, nullptr);
  return result;
}

`

const property = `
      {"emohealRegisterFunction", nullptr, EmohealRegisterFunction, nullptr, nullptr, nullptr,
       napi_default, nullptr},`

function insertAfter(text, anchor, addition, file) {
  const at = text.indexOf(anchor)
  if (at < 0) throw new Error(`${file}: "${anchor.trim().split('\n')[0]}" not found`)
  return text.slice(0, at + anchor.length) + addition + text.slice(at + anchor.length)
}

function insertBefore(text, anchor, addition, file) {
  const at = text.indexOf(anchor)
  if (at < 0) throw new Error(`${file}: "${anchor.trim().split('\n')[0]}" not found`)
  return text.slice(0, at) + addition + text.slice(at)
}

/**
 * Patches the binding sources in `bindingFolder` (a copy: the package's own files stay as published).
 * Throws, naming the file and the missing anchor, where this tfjs-node's sources differ from the known ones.
 */
export async function patchBindingSources(bindingFolder) {
  const header = join(bindingFolder, 'tfjs_backend.h')
  const source = join(bindingFolder, 'tfjs_binding.cc')
  const headerText = await readFile(header, 'utf8')
  const sourceText = await readFile(source, 'utf8')
  if (sourceText.includes('EmohealRegisterFunction')) return
  const patchedHeader = insertAfter(headerText, 'class TFJSBackend {\n public:\n', accessor, 'tfjs_backend.h')
  let patchedSource = insertBefore(
    sourceText,
    'static napi_value IsUsingGPUDevice(',
    registerFunction,
    'tfjs_binding.cc'
  )
  patchedSource = insertAfter(
    patchedSource,
    '{"executeOp", nullptr, ExecuteOp, nullptr, nullptr, nullptr, napi_default,\n       nullptr},',
    property,
    'tfjs_binding.cc'
  )
  await writeFile(header, patchedHeader)
  await writeFile(source, patchedSource)
}
