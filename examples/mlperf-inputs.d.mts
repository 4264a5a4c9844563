/** Each maps one 28×28 digit (784 floats in [0, 1], row-major) to a flat sample in the model's input layout. */
export declare function resnet8Input(digit: ArrayLike<number>): Float32Array;
export declare function dsCnnInput(digit: ArrayLike<number>): Float32Array;
export declare function mobilenetInput(digit: ArrayLike<number>): Float32Array;
export declare function mobilenetLabel(digitClass: number): number;
export declare function autoencoderInput(digit: ArrayLike<number>): Float32Array;
