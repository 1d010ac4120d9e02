/**
 * The ONNX protobuf schema, re-exported in one place. We use `onnx-buf` (the official onnx.proto of ONNX 1.20
 * compiled by protoc-gen-es) on `@bufbuild/protobuf` v2: the schema is current (IR 11, every opset up to 1.20),
 * `bytes` fields decode as zero-copy views of the file buffer (a 500 MB model is not copied), and unknown fields
 * are preserved, so a load → save round-trip of a file from a newer ONNX keeps what we do not understand.
 */
export { create, clone, fromBinary, toBinary, clearField, isFieldSet } from '@bufbuild/protobuf';
export {
  ModelProtoSchema, GraphProtoSchema, NodeProtoSchema, TensorProtoSchema, ValueInfoProtoSchema,
  AttributeProtoSchema, TypeProtoSchema, OperatorSetIdProtoSchema, StringStringEntryProtoSchema,
  TensorShapeProtoSchema, TensorProto_DataLocation, AttributeProto_AttributeType, TensorProto_DataType,
} from 'onnx-buf';
export type {
  ModelProto, GraphProto, NodeProto, TensorProto, ValueInfoProto, AttributeProto, TypeProto,
  OperatorSetIdProto, StringStringEntryProto, FunctionProto,
} from 'onnx-buf';
